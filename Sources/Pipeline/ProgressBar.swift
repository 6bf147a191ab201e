import Foundation

/// A one-line terminal progress display: step, loss, throughput and ETA, redrawn in place.
public struct ProgressBar {
    private let total: Int
    private let start = Date()
    private let startStep: Int
    private var lastDraw = Date.distantPast
    private let interactive: Bool

    /// Creates a bar for steps `startStep..<total`.
    public init(total: Int, startStep: Int = 0) {
        self.total = total
        self.startStep = startStep
        interactive = isatty(STDERR_FILENO) != 0
    }

    /// Seconds since the bar was created.
    public var elapsed: Double { Date().timeIntervalSince(start) }

    /// Redraws the bar (at most a few times a second, or always when `force`).
    public mutating func update(step: Int, items: Int, fields: [(String, String)], force: Bool = false) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) > 0.25 || step == total else { return }
        lastDraw = now
        let done = step - startStep
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - step) / rate : 0
        let width = 24
        let filled = total > 0 ? min(width, width * step / total) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        var line = "[\(bar)] \(step)/\(total)"
        for (k, v) in fields { line += " \(k) \(v)" }
        line += String(format: " %.1f img/s eta %@", elapsed > 0 ? Double(items) / elapsed : 0, Self.duration(eta))
        if interactive {
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        } else if force || step == total {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Ends the line.
    public func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// Formats seconds as `1h02m`, `3m05s` or `12s`.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}

/// Appends one JSON object per line to a metrics file.
public final class MetricsLog {
    private let handle: FileHandle

    /// Opens (creating or appending to) `path`.
    public init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw PipelineError("cannot create metrics log \(path)")
            }
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Writes one record.
    public func write(_ record: [String: Double]) throws {
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        handle.write(data)
        handle.write(Data("\n".utf8))
    }
}

/// An error of the training and sampling pipeline, with a message for the user.
public struct PipelineError: Error, CustomStringConvertible {
    /// What went wrong and, where it helps, what to do.
    public let message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
