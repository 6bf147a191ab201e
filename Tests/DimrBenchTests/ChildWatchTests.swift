import Foundation
import Testing

/// `dimr-bench model` runs each side in a child process; a signal to dimr-bench must not leave that child running.
@Suite("dimr-bench: children stop with it")
struct ChildWatchTests {
    /// The parent pid of `pid` from /proc/PID/stat, or nil once the process is gone (a zombie counts as gone).
    private func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, fields[0] != "Z" else { return nil }
        return Int32(fields[1])
    }

    /// The processes whose parent is `pid`.
    private func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { parent(of: $0) == pid }
    }

    @Test("SIGTERM to dimr-bench model kills the child it waits for, and dimr-bench exits with 143")
    func sigtermStopsTheChild() throws {
        let process = Process()
        process.executableURL = try benchExecutable()
        // A sampling child that runs for minutes: 1000 calls on 64 images.
        process.arguments = ["model", "--preset", "fmnist-3r", "--repeats", "1", "--batch", "2", "--steps", "1",
                             "--sample-batch", "64", "--nfe", "1000", "--precisions", "float32", "--checkpointing", "off",
                             "--threads", "1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var child: Int32?
        for _ in 0..<400 where child == nil {  // up to 20 s for the child to start
            child = children(of: process.processIdentifier).first
            if child == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let started = try #require(child, "dimr-bench started a child")
        Thread.sleep(forTimeInterval: 0.5)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let how = process.terminationReason == .exit ? "exit" : "signal"
        #expect(process.terminationReason == .exit && process.terminationStatus == 143, "ended by \(how) \(process.terminationStatus)")
        var gone = false
        for _ in 0..<100 where !gone {  // up to 5 s for the killed child to be reaped
            gone = parent(of: started) == nil
            if !gone { Thread.sleep(forTimeInterval: 0.05) }
        }
        if !gone { kill(started, SIGKILL) }
        #expect(gone, "the child \(started) was left running")
    }
}
