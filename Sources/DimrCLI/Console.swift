import Foundation

/// Standard output for progress reports: each line is flushed when printed, so that a log read through a
/// pipe or a file shows it at once (standard output is block-buffered there).
enum Console {
    /// Prints `text` and a newline, then flushes.
    static func line(_ text: String) {
        print(text)
        fflush(nil)
    }
}
