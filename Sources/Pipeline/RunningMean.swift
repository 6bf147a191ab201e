import Foundation

/// The mean of the last `window` values (the `loss_avg` of metrics.jsonl and the progress line),
/// saved in checkpoints so that a resumed run continues the same average.
public struct RunningMean: Equatable, Sendable {
    /// How many recent values are averaged.
    public let window: Int
    /// The recent values, oldest first (at most `window`).
    public private(set) var values: [Double] = []

    /// An empty mean over the last `window` values (at least 1).
    public init(window: Int = 50) {
        precondition(window >= 1, "a running mean needs a window of at least 1, got \(window)")
        self.window = window
    }

    /// Adds a value, dropping the oldest beyond the window.
    public mutating func add(_ value: Double) {
        values.append(value)
        if values.count > window { values.removeFirst(values.count - window) }
    }

    /// The mean of the values held (NaN when empty).
    public var mean: Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }

    /// The values as JSON text, for checkpoint metadata.
    public func encoded() throws -> String {
        String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
    }

    /// A mean over `window` restored from `encoded()` text.
    /// - Throws: `PipelineError` when the text is not a JSON array of finite numbers.
    public init(window: Int = 50, decoding text: String) throws {
        self.init(window: window)
        guard let decoded = try? JSONDecoder().decode([Double].self, from: Data(text.utf8)),
              decoded.allSatisfy(\.isFinite) else {
            throw PipelineError("the saved running loss average is not a list of numbers: \(text.prefix(80))")
        }
        for v in decoded { add(v) }
    }
}
