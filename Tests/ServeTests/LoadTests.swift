import Datasets
import Foundation
import Testing

/// The load test, opt-in (DIMR_LOAD_TEST=1, `make serve-load`): the built `dimr serve` on a loopback port, 50
/// concurrent clients sending 500 small requests in all (bounded in count and time). It reports requests/s and
/// p50/p99 latency, checks that every request ends done with correct images (none lost), and that the server's
/// resident memory stays flat from request 100 to request 500.
@Suite(.serialized) struct LoadTests {
    static let enabled = ProcessInfo.processInfo.environment["DIMR_LOAD_TEST"] == "1"
    static let clients = 50
    /// Requests in all (DIMR_LOAD_REQUESTS, a multiple of 100, for a longer run; default 500).
    static let requests = ProcessInfo.processInfo.environment["DIMR_LOAD_REQUESTS"].flatMap { Int($0) }
        .map { max(100, $0 / 100 * 100) } ?? 500

    /// What one client saw of one request.
    struct Outcome: Sendable {
        let seconds: Double
        let retries: Int
        let correct: Bool
    }

    @Test(.enabled(if: enabled, "the load test runs with DIMR_LOAD_TEST=1 (make serve-load)"), .timeLimit(.minutes(10)))
    func fiftyClientsFiveHundredRequests() async throws {
        let folder = try temporaryFolder()
        // Room for every client by default; DIMR_LOAD_QUEUE=32 (the default of dimr serve) makes clients retry after 429.
        let queue = ProcessInfo.processInfo.environment["DIMR_LOAD_QUEUE"] ?? "64"
        let server = try ServeProcess([TinyModel.path, "--output", folder + "/out", "--queue", queue, "--keep-jobs", "100"])
        let client = HTTPClient(server.base)
        let memory = MemoryLog()
        let started = Date()
        let outcomes = try await withThrowingTaskGroup(of: [Outcome].self) { group in
            for c in 0..<Self.clients {
                group.addTask {
                    var mine: [Outcome] = []
                    for r in 0..<(Self.requests / Self.clients) {
                        let outcome = try await Self.oneRequest(client, seed: c * 1000 + r, classIndex: (c + r) % 3)
                        mine.append(outcome)
                        memory.completed(try server.residentBytes())
                    }
                    return mine
                }
            }
            var all: [Outcome] = []
            for try await part in group { all += part }
            return all
        }
        let elapsed = Date().timeIntervalSince(started)
        let latencies = outcomes.map(\.seconds).sorted()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)] }
        let marks = memory.marks
        let report = String(format: "load: %d clients, %d requests in %.1f s: %.1f requests/s, latency p50 %.3f s, p99 %.3f s, %d retries after 429; ",
                            Self.clients, outcomes.count, elapsed, Double(outcomes.count) / elapsed, percentile(0.5), percentile(0.99),
                            outcomes.map(\.retries).reduce(0, +))
            + "server RSS every 100 requests: " + marks.map { String(format: "%.1f", Double($0) / 1_048_576) }.joined(separator: "/") + " MiB"
        print(report)
        let stopped = server.stop()
        #expect(stopped.status == 0)
        #expect(outcomes.count == Self.requests)
        #expect(outcomes.allSatisfy { $0.correct })
        // Flat memory: from request 100 to the last (after warm-up: libtorch's allocator caches, the 100 kept jobs) the
        // server's resident memory grows by less than 32 MiB. Kept jobs are bounded (--keep-jobs 100), so what grows
        // beyond is a leak: the network batch of a leaked job's tensors alone is ~0.1 MiB.
        #expect(marks.count == Self.requests / 100)
        if let first = marks.first, let last = marks.last { #expect(last - first < 32 << 20, "\(report)") }
    }

    /// Posts one request (retrying after 429 as told), follows its events to the end, fetches and checks its files.
    static func oneRequest(_ client: HTTPClient, seed: Int, classIndex: Int) async throws -> Outcome {
        let started = Date()
        var retries = 0
        var id: String?
        while id == nil {
            let answer = try await client.post("/v1/generate", json: ["class": classIndex, "per_class": 2, "steps": 5, "seed": seed])
            if answer.status == 429 {
                retries += 1
                let wait = answer.header("Retry-After").flatMap { Double($0) } ?? 1
                try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
                continue
            }
            guard answer.status == 202 else { throw TestFailure("generate answered \(answer.status): \(answer.text)") }
            id = try answer.json()["id"] as? String
        }
        guard let id else { throw TestFailure("no job id") }
        let events = try await client.events(id)
        var correct = events.last?.name == "done" && events.filter { $0.name == "progress" }.count >= 1
        let status = try await client.get("/v1/jobs/\(id)").json()
        let settings = status["settings"] as? [String: Any]
        correct = correct && status["status"] as? String == "done" && settings?["seed"] as? Int == seed
            && settings?["classes"] as? [Int] == [classIndex]
        for k in 0..<2 {
            let png = try await client.get("/v1/jobs/\(id)/images/\(k).png")
            let image = try? PNG.decode([UInt8](png.body))
            correct = correct && png.status == 200 && image?.width == 8 && image?.height == 8
        }
        return Outcome(seconds: Date().timeIntervalSince(started), retries: retries, correct: correct)
    }

    /// The server's resident memory after every 100th completed request.
    final class MemoryLog: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        private var recorded: [Int] = []

        func completed(_ resident: Int) {
            lock.withLock {
                count += 1
                if count % 100 == 0 { recorded.append(resident) }
            }
        }

        var marks: [Int] { lock.withLock { recorded } }
    }
}
