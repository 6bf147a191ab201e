import CTorch
import Foundation

/// libtorch's operator profiler (Kineto, CPU activities), as `torch.profiler.profile(activities=[CPU])`: every
/// ATen operator called while it records is written to a Chrome trace (open it in Perfetto or chrome://tracing),
/// and `OperatorProfile` sums a trace per operator.
public enum OperatorProfiler {
    /// Runs `body` with the profiler recording and writes the trace to `tracePath` (JSON, microseconds), replacing
    /// a file there once the recording is complete. Only the calling thread's operators are recorded (with the time
    /// of the threads they use). The recording is kept in memory until it ends: at fmnist-3r's training step about
    /// 100 MB per step.
    ///
    /// - Parameter recordShapes: also records each call's input shapes (the trace's `args`).
    /// - Throws: `TorchError` when `checkTracePath` refuses `tracePath`, when a profiler is already recording in this
    ///   process or the trace cannot be written; whatever `body` throws (the recording is then stopped and discarded).
    public static func record<T>(tracePath: String, recordShapes: Bool = false, _ body: () throws -> T) throws -> T {
        try checkTracePath(tracePath)
        let before = Self.modification(tracePath)
        try check(ct_profiler_start(recordShapes ? 1 : 0))
        let value: T
        do {
            value = try body()
        } catch {
            _ = ct_profiler_stop(nil)
            throw error
        }
        try check(ct_profiler_stop(tracePath))
        // Kineto logs a failed write and returns (it writes PATH.tmp, then renames it): a file missing or unchanged says it.
        guard let after = Self.modification(tracePath), after != before else {
            throw TorchError("the profiler could not write its trace to \(tracePath)")
        }
        return value
    }

    /// Refuses a trace path that cannot take a file, before any recording: an empty path, a folder, a path whose
    /// folder does not exist.
    /// - Throws: `TorchError` saying which.
    public static func checkTracePath(_ path: String) throws {
        var isFolder: ObjCBool = false
        guard !path.isEmpty else { throw TorchError("no file path given") }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw TorchError("\(path) is a folder; give a file path")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw TorchError("no folder \(folder) to write \(path) in")
        }
    }

    /// The file's modification time and inode (a rename replaces the inode), nil when there is no file.
    private static func modification(_ path: String) -> [Int]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec), Int(info.st_ino)]
    }
}

/// Per-operator totals of a profiler trace: calls and self time (an operator's own time, without the operators it
/// called), the figure `torch.profiler`'s `key_averages()` sorts by as `self_cpu_time_total`.
public struct OperatorProfile: Sendable {
    /// One operator's totals.
    public struct Row: Sendable, Equatable {
        /// ATen name, e.g. `aten::mm`, or an autograd node's, e.g. `autograd::engine::evaluate_function: MmBackward0`.
        public let name: String
        /// Number of calls.
        public let calls: Int
        /// Self time in microseconds, summed over calls.
        public let selfMicroseconds: Double
        /// Total time in microseconds (children included), summed over calls.
        public let totalMicroseconds: Double
    }

    /// Operators by decreasing self time.
    public let rows: [Row]
    /// Sum of every operator's self time, in microseconds: the time spent inside libtorch operators.
    public var selfMicroseconds: Double { rows.reduce(0) { $0 + $1.selfMicroseconds } }

    /// Reads the `cpu_op` complete events (`"ph": "X"`) of a Chrome trace written by `OperatorProfiler`; events
    /// without a name, a finite start or a non-negative duration are skipped.
    ///
    /// - Parameter byShape: one row per operator and input shapes, from a trace recorded with
    ///   `recordShapes` (`name [2,3], [3]`); else one row per operator.
    /// - Throws: `TorchError` naming the file when it is not such a trace.
    public init(tracePath: String, byShape: Bool = false) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: tracePath)) } catch {
            throw TorchError("cannot read the profiler trace \(tracePath): \(error.localizedDescription)")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = root["traceEvents"] as? [Any] else {
            throw TorchError("\(tracePath) is not a Chrome trace (no traceEvents list)")
        }
        let events = list.compactMap { $0 as? [String: Any] }
        struct Span { let name: String; let start: Double; let end: Double }
        var byThread: [String: [Span]] = [:]
        for e in events where e["ph"] as? String == "X" && e["cat"] as? String == "cpu_op" {
            guard var name = e["name"] as? String, let ts = (e["ts"] as? NSNumber)?.doubleValue,
                  let dur = (e["dur"] as? NSNumber)?.doubleValue, dur >= 0, (ts + dur).isFinite else { continue }
            if byShape, let dims = (e["args"] as? [String: Any])?["Input Dims"] as? [Any] {
                name += " " + dims.map { "\($0)".filter { !$0.isWhitespace && $0 != "(" && $0 != ")" } }.joined(separator: ", ")
            }
            byThread["\(e["pid"] ?? "")/\(e["tid"] ?? "")", default: []].append(Span(name: name, start: ts, end: ts + dur))
        }
        var totals: [String: (calls: Int, selfTime: Double, total: Double)] = [:]
        for spans in byThread.values {
            // Parents before children: by start, the longer first. A span's self time is its length less its direct children's.
            let sorted = spans.sorted { $0.start != $1.start ? $0.start < $1.start : $0.end > $1.end }
            var stack: [(span: Span, children: Double)] = []
            func close(_ item: (span: Span, children: Double)) {
                let length = item.span.end - item.span.start
                totals[item.span.name, default: (0, 0, 0)].calls += 1
                totals[item.span.name, default: (0, 0, 0)].selfTime += max(0, length - item.children)
                totals[item.span.name, default: (0, 0, 0)].total += length
                if !stack.isEmpty { stack[stack.count - 1].children += length }
            }
            for span in sorted {
                while let top = stack.last, top.span.end <= span.start { close(stack.removeLast()) }
                stack.append((span, 0))
            }
            while let top = stack.popLast() { close(top) }
        }
        rows = totals.map { Row(name: $0.key, calls: $0.value.calls, selfMicroseconds: $0.value.selfTime, totalMicroseconds: $0.value.total) }
            .sorted { $0.selfMicroseconds != $1.selfMicroseconds ? $0.selfMicroseconds > $1.selfMicroseconds : $0.name < $1.name }
    }
}
