import Diffusion
import Foundation
import Pipeline
@testable import Serve
import Testing

/// Cancelling, the bounded queue and shut-down.
@Suite(.serialized) struct QueueTests {
    @Test func cancelAQueuedJob() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        server.store.hold(true)
        let id = try await client.generate(["class": 0, "steps": 3])
        let cancelled = try await client.send("DELETE", "/v1/jobs/\(id)")
        #expect(cancelled.status == 200)
        #expect(try cancelled.json()["status"] as? String == "cancelled")
        let again = try await client.send("DELETE", "/v1/jobs/\(id)")
        #expect(again.status == 409)
        #expect(try await client.send("DELETE", "/v1/jobs/ffffffffffffffffffffffff").status == 404)
        let events = try await client.events(id)
        #expect(events.map(\.name) == ["queued", "cancelled"])
        #expect(try await client.get("/v1/jobs/\(id)/grid.png").status == 409)
        server.store.hold(false)
        try await server.stop()
    }

    @Test func cancelARunningJobStopsItBetweenSteps() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        // 1000 DDIM steps on 64 images: long enough to be cancelled midway.
        let id = try await client.generate(["classes": [0, 1], "per_class": 32, "steps": 1000, "sampler": "ddim"])
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let status = try await client.get("/v1/jobs/\(id)").json()
            if (status["step"] as? Int ?? 0) >= 1 { break }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        #expect(try await client.send("DELETE", "/v1/jobs/\(id)").status == 200)
        let status = try await client.waitForEnd(id)
        #expect(status["status"] as? String == "cancelled")
        #expect(status["reason"] as? String == "cancelled by a client")
        #expect((status["step"] as? Int ?? 1000) < 1000)
        #expect(try await client.events(id).last?.name == "cancelled")
        // The worker is free again.
        let next = try await client.generate(["class": 2, "per_class": 1, "steps": 2])
        #expect(try await client.waitForEnd(next)["status"] as? String == "done")
        #expect(!FileManager.default.fileExists(atPath: server.output + "/" + id))
        try await server.stop()
    }

    @Test func aFullQueueAnswers429WithRetryAfter() async throws {
        let server = try await TestServer.start { $0.queueCapacity = 2 }
        let client = HTTPClient(server.base)
        server.store.hold(true)
        let a = try await client.generate(["class": 0, "per_class": 1, "steps": 2])
        let b = try await client.generate(["class": 1, "per_class": 1, "steps": 2])
        let full = try await client.post("/v1/generate", json: ["class": 2, "per_class": 1, "steps": 2])
        #expect(full.status == 429)
        let wait = try #require(full.header("Retry-After").flatMap { Int($0) })
        #expect(wait >= 1)
        #expect((try full.json()["error"] as? String)?.contains("queue is full") == true)
        let health = try await client.get("/healthz").json()
        #expect(health["queued"] as? Int == 2)
        server.store.hold(false)
        for id in [a, b] { #expect(try await client.waitForEnd(id)["status"] as? String == "done") }
        // Room again.
        let c = try await client.generate(["class": 2, "per_class": 1, "steps": 2])
        #expect(try await client.waitForEnd(c)["status"] as? String == "done")
        try await server.stop()
    }

    @Test func shutDownCancelsRunningAndQueuedJobsAndReleasesTheFolder() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        let running = try await client.generate(["classes": [0, 1], "per_class": 32, "steps": 1000, "sampler": "ddim"])
        let waiting = try await client.generate(["classes": [0], "per_class": 2, "steps": 1000, "sampler": "unipc-2"])
        let deadline = Date().addingTimeInterval(120)
        while (server.store.job(running)?.state ?? .queued) != .running && Date() < deadline {
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        async let stream = client.events(running)
        try await Task.sleep(nanoseconds: 50_000_000)
        try await server.stop()
        for id in [running, waiting] {
            let job = try #require(server.store.job(id))
            #expect(job.state == .cancelled)
            #expect(job.status(position: nil).reason == "the server is shutting down")
        }
        // The open event stream ended with the cancellation (or the connection closed with the server).
        if let events = try? await stream { #expect(events.last?.name == "cancelled") }
        // The output folder's lock is free for the next server.
        _ = try OutputLock(folder: server.output, command: "test")
        await #expect(throws: (any Error).self) { _ = try await client.get("/healthz") }
    }

    @Test func modelsHealthAndTheAPIDescription() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        let models = try await client.get("/v1/models").json()
        let model = try #require((models["models"] as? [[String: Any]])?.first)
        #expect(model["name"] as? String == "tiny.safetensors")
        #expect(model["image_shape"] as? [Int] == [1, 8, 8])
        let classes = try #require(model["classes"] as? [[String: Any]])
        #expect(classes.compactMap { $0["name"] as? String } == TinyModel.classNames)
        #expect((model["parameters"] as? Int ?? 0) == server.server.model.parameters && server.server.model.parameters > 0)
        #expect((model["configuration"] as? [String: Any])?["num_classes"] as? Int == 4)
        let limits = try #require(models["limits"] as? [String: Any])
        #expect(limits["samplers"] as? [String] == SamplerName.allCases.map(\.rawValue))
        #expect(limits["steps"] as? [Int] == [1, 1000])
        #expect(try await client.get("/healthz").json()["status"] as? String == "ok")

        let document = try await client.get("/openapi.json").json()
        let paths = try #require(document["paths"] as? [String: Any])
        #expect(Set(paths.keys) == ["/", "/openapi.json", "/healthz", "/v1/models", "/v1/generate", "/v1/jobs/{id}",
                                    "/v1/jobs/{id}/events", "/v1/jobs/{id}/images/{k}.png", "/v1/jobs/{id}/grid.png",
                                    "/v1/jobs/{id}/samples.npz"])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let request = try #require((schemas["GenerateRequest"] as? [String: Any])?["properties"] as? [String: Any])
        #expect(Set(request.keys) == Set(GenerateRequest.fieldNames))
        // Every documented GET path answers for a finished npz job.
        let id = try await client.generate(["class": 0, "per_class": 1, "steps": 2, "format": "npz"])
        _ = try await client.waitForEnd(id)
        for (path, item) in paths {
            guard let operations = item as? [String: Any], operations["get"] != nil else { continue }
            let concrete = path.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{k}", with: "0")
            #expect(try await client.get(concrete).status == 200, "\(path)")
        }
        let page = try await client.get("/")
        #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(page.text.contains("EventSource") && page.text.contains("/v1/generate"))
        // Self-contained: no external scripts, styles or images.
        #expect(!page.text.contains("src=\"http") && !page.text.contains("href=\"http") && !page.text.contains("@import"))
        try await server.stop()
    }
}
