import Foundation
import Testing

@Suite("dimr-bench profile")
struct ProfileBenchmarkTests {
    /// Runs the built dimr-bench and returns its exit status, stdout and stderr.
    private func bench(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = try benchExecutable()
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile(), errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    @Test("lists operators by self time per step; the listed shares add up to less than the step")
    func table() throws {
        let r = try bench(["profile", "--preset", "fmnist-3r", "--batch", "2", "--steps", "1", "--top", "6", "--threads", "1"])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("fmnist-3r, float32, batch 2, checkpointing off, 1 thread: ") == true, "\(r.out)")
        #expect(lines.first?.contains(" ms per step, ") == true && lines.first?.contains(" under the profiler (") == true, "\(r.out)")
        let rows = lines.filter { $0.hasPrefix("| aten::") || $0.hasPrefix("| autograd") }
        #expect(rows.count == 6, "\(r.out)")
        let selfMs = rows.compactMap { Double($0.split(separator: "|")[2].trimmingCharacters(in: .whitespaces)) }
        let shares = rows.compactMap { Double($0.split(separator: "|")[3].trimmingCharacters(in: .whitespaces).dropLast(2)) }
        #expect(selfMs.count == 6 && selfMs == selfMs.sorted(by: >) && selfMs.allSatisfy { $0 > 0 })
        #expect(shares.count == 6 && shares.reduce(0, +) < 100)
        #expect(rows.contains { $0.hasPrefix("| aten::mm |") })
    }

    @Test("bad options are refused before any work, naming the option")
    func badOptions() throws {
        for (arguments, words) in [(["--precision", "float64"], "--precision: float64"), (["--steps", "0"], "--steps"),
                                   (["--preset", "nope"], "--preset"), (["--trace", "/no/such/folder/t.json"], "--trace: no folder /no/such/folder"),
                                   (["--trace", ""], "--trace: no file path given"), (["--trace", "/tmp"], "--trace: /tmp is a folder"),
                                   (["--steps", "11"], "--steps must be in 1...10")] {
            let r = try bench(["profile"] + arguments)
            #expect(r.status == 2 && r.err.contains(words), "\(arguments): \(r.err)")
        }
    }
}
