import Foundation
import Testing
@testable import Torch

@Suite("Operator profiler: recording a trace, and per-operator self time")
struct OperatorProfilerTests {
    private struct Boom: Error {}

    /// Writes `events` as a Chrome trace and returns its path and the cleanup.
    private func trace(_ events: [Any]) throws -> (String, () -> Void) {
        let (folder, cleanup) = try makeTemporaryDirectory()
        let path = folder.appendingPathComponent("trace.json").path
        try JSONSerialization.data(withJSONObject: ["traceEvents": events]).write(to: URL(fileURLWithPath: path))
        return (path, cleanup)
    }

    private func op(_ name: String, _ ts: Double, _ dur: Double, tid: Int = 1, dims: [[Int]]? = nil) -> [String: Any] {
        var e: [String: Any] = ["ph": "X", "cat": "cpu_op", "name": name, "pid": 7, "tid": tid, "ts": ts, "dur": dur]
        if let dims { e["args"] = ["Input Dims": dims] }
        return e
    }

    @Test("self time is a span less its direct children, per thread; other events are ignored")
    func selfTime() throws {
        let (path, cleanup) = try trace([
            op("A", 0, 100), op("B", 10, 30), op("C", 15, 10), op("D", 50, 10),  // A { B { C }, D }
            op("A", 0, 30, tid: 2),  // the same name on another thread, overlapping in time
            op("C", 200, 5),  // after A ended: a root of its own
            ["ph": "X", "cat": "python_function", "name": "forward", "pid": 7, "tid": 1, "ts": 0, "dur": 500],
            ["ph": "i", "cat": "cpu_op", "name": "mark", "pid": 7, "tid": 1, "ts": 3],
            op("E", 300, -5), ["ph": "X", "cat": "cpu_op", "name": "F", "pid": 7, "tid": 1, "ts": "later", "dur": 1],  // skipped
            op("G", 1e308, 1e308), 42,  // skipped: an end past the largest double; not an event
        ])
        defer { cleanup() }
        let profile = try OperatorProfile(tracePath: path)
        let rows = Dictionary(uniqueKeysWithValues: profile.rows.map { ($0.name, $0) })
        #expect(profile.rows.map(\.name) == ["A", "B", "C", "D"])  // by self time: 90, 20, 15, 10
        #expect(rows["A"] == OperatorProfile.Row(name: "A", calls: 2, selfMicroseconds: 60 + 30, totalMicroseconds: 130))
        #expect(rows["B"] == OperatorProfile.Row(name: "B", calls: 1, selfMicroseconds: 20, totalMicroseconds: 30))
        #expect(rows["C"] == OperatorProfile.Row(name: "C", calls: 2, selfMicroseconds: 15, totalMicroseconds: 15))
        #expect(rows["D"] == OperatorProfile.Row(name: "D", calls: 1, selfMicroseconds: 10, totalMicroseconds: 10))
        #expect(profile.selfMicroseconds == 135)  // the union of the roots: 100 + 30 + 5
    }

    @Test("by shape, calls of one operator with other input shapes are separate rows")
    func byShape() throws {
        let (path, cleanup) = try trace([op("aten::mm", 0, 4, dims: [[2, 3], [3, 4]]), op("aten::mm", 10, 2, dims: [[2, 3], [3, 5]]),
                                         op("aten::mm", 20, 4, dims: [[2, 3], [3, 4]])])
        defer { cleanup() }
        #expect(try OperatorProfile(tracePath: path).rows.map(\.name) == ["aten::mm"])
        let rows = try OperatorProfile(tracePath: path, byShape: true).rows
        #expect(rows.map(\.name) == ["aten::mm [2,3], [3,4]", "aten::mm [2,3], [3,5]"])
        #expect(rows.map(\.calls) == [2, 1])
    }

    @Test("a file that is not a trace is refused naming it")
    func notATrace() throws {
        let (folder, cleanup) = try makeTemporaryDirectory()
        defer { cleanup() }
        let path = folder.appendingPathComponent("x.json").path
        try Data("[1, 2]".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: TorchError.self) { try OperatorProfile(tracePath: path) }
        do { _ = try OperatorProfile(tracePath: path) } catch { #expect("\(error)".contains(path)) }
        #expect(throws: TorchError.self) { try OperatorProfile(tracePath: folder.appendingPathComponent("missing.json").path) }
    }

    @Test("a recording holds the operators called in it; a failing body stops it; recordings do not nest")
    func record() throws {
        let (folder, cleanup) = try makeTemporaryDirectory()
        defer { cleanup() }
        let path = folder.appendingPathComponent("trace.json").path
        let a = try Tensor.randn([64, 64]), b = try Tensor.randn([64, 64])
        let product = try OperatorProfiler.record(tracePath: path, recordShapes: true) { try a.matmul(b).matmul(b) }
        #expect(product.shape == [64, 64])
        let mm = try #require(OperatorProfile(tracePath: path).rows.first { $0.name == "aten::mm" })
        #expect(mm.calls == 2 && mm.selfMicroseconds > 0 && mm.totalMicroseconds >= mm.selfMicroseconds)
        #expect(try OperatorProfile(tracePath: path, byShape: true).rows.contains { $0.name == "aten::mm [64,64], [64,64]" })

        #expect(throws: TorchError.self) {
            try OperatorProfiler.record(tracePath: path) { try OperatorProfiler.record(tracePath: path) {} }
        }
        #expect(throws: TorchError.self) { try OperatorProfiler.record(tracePath: folder.appendingPathComponent("no/such/t.json").path) {} }
        // A folder is refused before anything runs, and stays; so does an existing trace when the body fails.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub/inner"), withIntermediateDirectories: true)
        var ran = false
        #expect(throws: TorchError.self) { try OperatorProfiler.record(tracePath: folder.appendingPathComponent("sub").path) { ran = true } }
        #expect(!ran && FileManager.default.fileExists(atPath: folder.appendingPathComponent("sub/inner").path))
        #expect(throws: TorchError.self) { try OperatorProfiler.record(tracePath: "") {} }
        let kept = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: Boom.self) { try OperatorProfiler.record(tracePath: path) { throw Boom() } }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == kept)
        try OperatorProfiler.record(tracePath: path) { _ = try a + b }  // stopped each time: a new recording starts
        #expect(try OperatorProfile(tracePath: path).rows.contains { $0.name == "aten::add" })
    }
}
