import Foundation

/// Training progress on standard error: step, loss, throughput and ETA.
///
/// On a terminal the line is redrawn in place (a few times a second). When standard error is not a
/// terminal (a log file, a pipe), one plain line is written per forced update (each metrics interval),
/// after the first update and then every `plainInterval` seconds when that is set, and at the end, with no
/// carriage returns or escape codes.
public struct ProgressBar {
    private let total: Int
    private let start = Date()
    private let startStep: Int
    private var lastDraw = Date.distantPast
    private let interactive: Bool
    private let plainInterval: Double?

    /// Creates a bar for steps `startStep..<total`; `interactive` defaults to whether standard error is a terminal.
    /// With `plainInterval`, a plain (not interactive) bar also writes a line at the first update and then at
    /// most every `plainInterval` seconds, so that a log shows progress between forced updates.
    public init(total: Int, startStep: Int = 0, interactive: Bool? = nil, plainInterval: Double? = nil) {
        self.total = total
        self.startStep = startStep
        self.interactive = interactive ?? (isatty(STDERR_FILENO) != 0)
        self.plainInterval = plainInterval
    }

    /// Seconds since the bar was created.
    public var elapsed: Double { Date().timeIntervalSince(start) }

    /// Shows the progress: on a terminal at most a few times a second (always when `force` or at the end);
    /// otherwise a line when `force`, at the end, and as `plainInterval` says.
    public mutating func update(step: Int, items: Int, fields: [(String, String)], force: Bool = false) {
        let now = Date()
        if interactive {
            guard force || now.timeIntervalSince(lastDraw) > 0.25 || step == total else { return }
            lastDraw = now
            FileHandle.standardError.write(Data(("\r" + line(step: step, items: items, fields: fields) + "\u{1B}[K").utf8))
        } else if force || step == total || plainInterval.map({ now.timeIntervalSince(lastDraw) >= $0 }) == true {
            lastDraw = now
            FileHandle.standardError.write(Data((line(step: step, items: items, fields: fields) + "\n").utf8))
        }
    }

    /// The text of one progress line.
    public func line(step: Int, items: Int, fields: [(String, String)]) -> String {
        let done = step - startStep
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - step) / rate : 0
        let width = 24
        let filled = total > 0 ? Int(min(Double(width), Double(width) * Double(step) / Double(total))) : width
        var text = interactive ? "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " : ""
        text += "step \(step)/\(total)"
        for (k, v) in fields { text += " \(k) \(v)" }
        text += String(format: " %.1f img/s eta %@", elapsed > 0 ? Double(items) / elapsed : 0, Self.duration(eta))
        return text
    }

    /// Ends the line.
    public func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// Formats seconds as `1h02m`, `3m05s` or `12s`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e9 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
