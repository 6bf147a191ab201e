import Foundation

/// The built `dimr serve` running as a child process on a free loopback port.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let base: URL
    private let output = Pipe()
    private let errors = Pipe()

    /// The package's root folder.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The built `dimr`: next to the test bundle, or in the package's default build folder.
    static func executable() throws -> String {
        var candidates: [String] = []
        if let own = Bundle.main.executableURL?.deletingLastPathComponent().path { candidates.append(own + "/dimr") }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/dimr")
        candidates.append(packageRoot + "/.build/debug/dimr")
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("the dimr executable was not found (looked in \(candidates)); build it with `swift build`")
        }
        return found
    }

    /// Starts `dimr serve` with `arguments` (after `serve`) and waits up to `seconds` for it to listen.
    init(_ arguments: [String], seconds: Double = 120) throws {
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        process.arguments = ["serve", "--port", "0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_NUM_THREADS"] = "1"
        process.environment = environment
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read standard output until the "listening on URL" line.
        let reader = output.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(seconds)
        var found: URL?
        while found == nil && Date() < deadline && process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
               let address = line.dropFirst("listening on ".count).split(separator: " ").first {
                found = URL(string: String(address))
            }
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            let message = String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
            throw TestFailure("dimr serve did not start: \(text) \(message)")
        }
        base = found
    }

    /// The resident memory of the server process, in bytes (Linux /proc).
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw TestFailure("no VmRSS in /proc/\(process.processIdentifier)/status")
        }
        return kilobytes * 1024
    }

    /// Sends `signal`, waits for the exit, and returns (status, the rest of standard output and error).
    func stop(signal: Int32 = SIGTERM) -> (status: Int32, output: String, errors: String) {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        let out = (try? output.fileHandleForReading.readToEnd()) ?? nil
        let err = (try? errors.fileHandleForReading.readToEnd()) ?? nil
        return (process.terminationStatus, String(decoding: out ?? Data(), as: UTF8.self), String(decoding: err ?? Data(), as: UTF8.self))
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
