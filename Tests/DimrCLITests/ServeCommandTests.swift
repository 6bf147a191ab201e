import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// `dimr serve` as a user runs it: the bundled model on a free port, a request, then SIGTERM or Ctrl-C.
@Suite(.serialized) struct ServeCommandTests {
    /// Starts `dimr serve` on port 0 and returns the process and the URL it printed.
    func startServe(_ arguments: [String]) throws -> (StartedProcess, URL) {
        let started = try startDimr(["serve", "--port", "0"] + arguments)
        let reader = started.stdout.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
               let url = line.dropFirst("listening on ".count).split(separator: " ").first.flatMap({ URL(string: String($0)) }) {
                return (started, url)
            }
        }
        started.process.terminate()
        throw CLIError("dimr serve did not print its address: \(text)")
    }

    func get(_ url: URL) async throws -> (Int, [String: Any]) {
        let (data, response) = try await URLSession.shared.data(from: url)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, object)
    }

    @Test func servesTheBundledModelAndStopsOnSIGTERM() async throws {
        let folder = try temporaryFolder()
        let (process, base) = try startServe([bundledModel, "--output", folder + "/out"])
        defer { if process.process.isRunning { kill(process.process.processIdentifier, SIGKILL) } }  // when a step throws
        let (status, health) = try await get(base.appendingPathComponent("healthz"))
        #expect(status == 200 && health["status"] as? String == "ok")
        let models = try await get(base.appendingPathComponent("v1/models")).1
        let classes = (models["models"] as? [[String: Any]])?.first?["classes"] as? [[String: Any]]
        #expect(classes?.compactMap { $0["name"] as? String }.first == "T-shirt/top")
        var request = URLRequest(url: base.appendingPathComponent("v1/generate"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"class": "trouser", "per_class": 2, "steps": 3, "seed": 1}"#.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 202)
        let id = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["id"] as? String)
        var state = ""
        let deadline = Date().addingTimeInterval(120)
        while !["done", "failed", "cancelled"].contains(state) && Date() < deadline {
            state = try await get(base.appendingPathComponent("v1/jobs/\(id)")).1["status"] as? String ?? ""
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(state == "done")
        #expect(FileManager.default.fileExists(atPath: folder + "/out/\(id)/grid.png"))
        kill(process.process.processIdentifier, SIGTERM)
        process.process.waitUntilExit()
        let output = String(decoding: (try process.stdout.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self)
        #expect(process.process.terminationStatus == 0)
        #expect(output.contains("stopped"))
    }

    @Test func ctrlCCancelsTheRunningJobAndExits() async throws {
        let folder = try temporaryFolder()
        let (process, base) = try startServe([bundledModel, "--output", folder + "/out"])
        defer { if process.process.isRunning { kill(process.process.processIdentifier, SIGKILL) } }  // when a step throws
        var request = URLRequest(url: base.appendingPathComponent("v1/generate"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"per_class": 6, "steps": 250, "sampler": "ddim"}"#.utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        let id = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["id"] as? String)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, try await get(base.appendingPathComponent("v1/jobs/\(id)")).1["status"] as? String != "running" {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        kill(process.process.processIdentifier, SIGINT)
        process.process.waitUntilExit()
        #expect(process.process.terminationStatus == 0)
        // The job was cancelled after its current solver step: no files.
        #expect(!FileManager.default.fileExists(atPath: folder + "/out/\(id)/grid.png"))
    }

    @Test func aSecondSignalExitsAtOnceWhileAClientHoldsTheShutDown() async throws {
        let folder = try temporaryFolder()
        let (process, base) = try startServe([bundledModel, "--output", folder + "/out"])
        let pid = process.process.processIdentifier
        defer { if process.process.isRunning { kill(pid, SIGKILL) } }
        // A client that sent the head and one byte of a 50-byte body, then nothing: the graceful shut-down waits
        // for it (up to its grace period).
        let port = try #require(base.port)
        let stuck = try RawConnection(port: port)
        try stuck.send("POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{")
        try await Task.sleep(nanoseconds: 2_000_000_000)
        kill(pid, SIGINT)
        try await Task.sleep(nanoseconds: 1_000_000_000)
        #expect(process.process.isRunning, "the server did not wait for the open request")
        kill(pid, SIGINT)
        let exited = try await waitForExit(process.process, seconds: 30)
        #expect(exited, "a second Ctrl-C did not end dimr serve within 30 s")
        guard exited else { return }
        #expect(process.process.terminationStatus == 130)
        let errors = String(decoding: (try process.stderr.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self)
        #expect(errors.contains("SIGINT again: exiting at once"), "\(errors)")
        withExtendedLifetime(stuck) {}
    }

    @Test func sigtermEndsWithinTheGracePeriodWhileAClientHoldsARequest() async throws {
        let folder = try temporaryFolder()
        let (process, base) = try startServe([bundledModel, "--output", folder + "/out"])
        let pid = process.process.processIdentifier
        defer { if process.process.isRunning { kill(pid, SIGKILL) } }
        let port = try #require(base.port)
        let stuck = try RawConnection(port: port)
        try stuck.send("POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{")
        try await Task.sleep(nanoseconds: 1_000_000_000)
        kill(pid, SIGTERM)
        // The grace period is 10 s (the idle timeout, 30 s, would also end it): 90 s is generous.
        let exited = try await waitForExit(process.process, seconds: 90)
        #expect(exited, "dimr serve did not stop within 90 s of SIGTERM")
        guard exited else { return }
        #expect(process.process.terminationStatus == 0)
        let output = String(decoding: (try process.stdout.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self)
        #expect(output.contains("stopped"))
        withExtendedLifetime(stuck) {}
    }

    @Test func helpTellsWhatASecondSignalDoes() throws {
        let help = try runDimr(["serve", "--help"]).output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("a second Ctrl-C or SIGTERM exits at once, with status 130 (SIGINT) or 143 (SIGTERM)"), "\(help)")
    }

    @Test func badOptionsAreRefusedBeforeLoading() throws {
        let port = try runDimr(["serve", bundledModel, "--port", "70000"])
        #expect(port.status != 0 && port.error.contains("--port"))
        let images = try runDimr(["serve", bundledModel, "--max-images", "100", "--batch-size", "64"])
        #expect(images.status != 0 && images.error.contains("--max-images"))
        let missing = try runDimr(["serve", "/nonexistent/model.safetensors", "--port", "0"])
        #expect(missing.status != 0 && missing.error.contains("/nonexistent/model.safetensors"))
    }
}
