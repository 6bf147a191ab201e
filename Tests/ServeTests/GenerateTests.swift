import Datasets
import Foundation
@testable import Serve
import Testing

/// Generate, poll, fetch: the API's main path, through an HTTP client against a server on a loopback port.
@Suite(.serialized) struct GenerateTests {
    @Test func generatePollAndFetchImages() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        let answer = try await client.post("/v1/generate", json: ["classes": [0, "square"], "per_class": 2, "seed": 5, "steps": 3, "sampler": "ddim"])
        #expect(answer.status == 202)
        let first = try answer.json()
        let id = try #require(first["id"] as? String)
        #expect(answer.header("Location") == "/v1/jobs/\(id)")
        #expect(["queued", "running"].contains(first["status"] as? String))
        let status = try await client.waitForEnd(id)
        #expect(status["status"] as? String == "done")
        #expect(status["progress"] as? Double == 1)
        let settings = try #require(status["settings"] as? [String: Any])
        #expect(settings["classes"] as? [Int] == [0, 1])
        #expect(settings["guidance"] as? String == "constant")
        let files = try #require(status["files"] as? [String: Any])
        let images = try #require(files["images"] as? [String])
        #expect(images.count == 4)
        #expect(files["npz"] == nil)
        for url in images {
            let png = try await client.get(url)
            #expect(png.status == 200)
            #expect(png.header("Content-Type") == "image/png")
            let image = try PNG.decode([UInt8](png.body))
            #expect(image.width == 8 && image.height == 8 && image.channels == 1)
        }
        let grid = try await client.get(try #require(files["grid"] as? String))
        let picture = try PNG.decode([UInt8](grid.body))
        // Two rows (classes) of two 8-pixel tiles with 2-pixel padding, plus the row-label margin on the left.
        #expect(picture.height == 2 * (8 + 2) + 2)
        #expect(picture.width > 2 * (8 + 2) + 2)
        // The files are in the job's own folder, named by the server.
        let names = try FileManager.default.contentsOfDirectory(atPath: server.output + "/" + id + "/images").sorted()
        #expect(names == ["00000-class-0.png", "00001-class-0.png", "00002-class-1.png", "00003-class-1.png"])
        try await server.stop()
    }

    @Test func sameSeedSameImagesAndNPZ() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        let request: [String: Any] = ["class": "star", "per_class": 3, "seed": 11, "steps": 4, "format": "npz"]
        let a = try await client.generate(request)
        let b = try await client.generate(request)
        let c = try await client.generate(request.merging(["seed": 12]) { $1 })
        for id in [a, b, c] { #expect(try await client.waitForEnd(id)["status"] as? String == "done") }
        let pa = try await client.get("/v1/jobs/\(a)/images/2.png").body
        let pb = try await client.get("/v1/jobs/\(b)/images/2.png").body
        let pc = try await client.get("/v1/jobs/\(c)/images/2.png").body
        #expect(pa == pb)
        #expect(pa != pc)
        let npz = try await client.get("/v1/jobs/\(a)/samples.npz")
        #expect(npz.status == 200)
        let arrays = try NPZ.read(data: npz.body)
        #expect(arrays["arr_0"]?.shape == [3, 8, 8, 3])
        #expect(arrays["arr_1"]?.shape == [3])
        try await server.stop()
    }

    @Test func eventsReportEveryStepAndPreviews() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        server.store.hold(true)
        let id = try await client.generate(["classes": [1], "per_class": 2, "steps": 6, "sampler": "ddim", "preview_every": 2])
        async let live = client.events(id)
        // Let the worker go once the stream is subscribed, so that it sees every event live.
        let job = try #require(server.store.job(id))
        let deadline = Date().addingTimeInterval(60)
        while job.subscriberCount == 0 && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        server.store.hold(false)
        let events = try await live
        let names = events.map(\.name)
        #expect(names.first == "queued")
        #expect(names.dropFirst().first == "started")
        #expect(names.last == "done")
        let steps = events.filter { $0.name == "progress" }.compactMap { $0.data["step"] as? Int }
        #expect(steps == Array(1...6))
        #expect(events.filter { $0.name == "progress" }.last?.data["progress"] as? Double == 1)
        // Previews after steps 2 and 4 and after the last, each a PNG grid of the job's images.
        let previews = events.filter { $0.name == "preview" }
        #expect(previews.compactMap { $0.data["step"] as? Int } == [2, 4, 6])
        let image = try #require(previews.first?.data["image"] as? String)
        #expect(image.hasPrefix("data:image/png;base64,"))
        let png = try #require(Data(base64Encoded: String(image.dropFirst("data:image/png;base64,".count))))
        let decoded = try PNG.decode([UInt8](png))
        #expect(decoded.height == 8 + 2 * 2)
        // A subscriber after the end gets the replay, with the newest preview only.
        let replay = try await client.events(id)
        #expect(replay.filter { $0.name == "progress" }.count == 6)
        #expect(replay.filter { $0.name == "preview" }.compactMap { $0.data["step"] as? Int } == [6])
        #expect(replay.last?.name == "done")
        try await server.stop()
    }

    @Test func previewsCountSolverStepsAsTheEventsDo() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        // dpm-solver makes 9 solver steps for 25 steps: previews count those, as started and progress do.
        let tooMany = try await client.post("/v1/generate", json: ["class": 0, "per_class": 1, "steps": 25, "preview_every": 10])
        #expect(tooMany.status == 400)
        let refusal = try tooMany.json()
        #expect(refusal["field"] as? String == "preview_every")
        #expect((refusal["error"] as? String)?.contains("0...9") == true, "\(tooMany.text)")
        server.store.hold(true)
        let id = try await client.generate(["class": 0, "per_class": 1, "steps": 25, "preview_every": 4])
        let queued = try await client.get("/v1/jobs/\(id)").json()
        #expect(queued["steps"] as? Int == 9)
        #expect((queued["settings"] as? [String: Any])?["steps"] as? Int == 25)
        async let live = client.events(id)
        let job = try #require(server.store.job(id))
        while job.subscriberCount == 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        server.store.hold(false)
        let events = try await live
        #expect(events.first { $0.name == "started" }?.data["steps"] as? Int == 9)
        #expect(events.filter { $0.name == "progress" }.compactMap { $0.data["step"] as? Int } == Array(1...9))
        #expect(events.filter { $0.name == "preview" }.compactMap { $0.data["step"] as? Int } == [4, 8, 9])
        // Every solver step, and the largest value allowed: one preview per step, the last included once.
        let every = try await client.generate(["class": 0, "per_class": 1, "steps": 25, "preview_every": 9])
        _ = try await client.waitForEnd(every)
        let replay = try await client.events(every)
        #expect(replay.filter { $0.name == "preview" }.compactMap { $0.data["step"] as? Int } == [9])
        #expect(SamplingWorker.wantsPreview(every: 3, step: 7, of: 7) && !SamplingWorker.wantsPreview(every: 3, step: 5, of: 7))
        #expect(!SamplingWorker.wantsPreview(every: 0, step: 7, of: 7))
        try await server.stop()
    }

    @Test func compatibleRequestsShareABatchAndKeepTheirImages() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        server.store.hold(true)
        let base: [String: Any] = ["classes": [0, 2], "per_class": 2, "steps": 5, "sampler": "dpm-solver++"]
        let a = try await client.generate(base.merging(["seed": 1]) { $1 })
        let b = try await client.generate(base.merging(["seed": 2, "classes": [1]]) { $1 })
        let other = try await client.generate(base.merging(["steps": 6]) { $1 })
        let d = try await client.generate(base.merging(["seed": 3]) { $1 })
        let queued = try await client.get("/v1/jobs/\(d)").json()
        #expect(queued["status"] as? String == "queued")
        #expect(queued["position"] as? Int == 4)
        server.store.hold(false)
        var batchJobs: [String: Int] = [:]
        for id in [a, b, other, d] {
            let status = try await client.waitForEnd(id)
            #expect(status["status"] as? String == "done")
            batchJobs[id] = status["batch_jobs"] as? Int
        }
        #expect(batchJobs[a] == 3 && batchJobs[b] == 3 && batchJobs[d] == 3)
        #expect(batchJobs[other] == 1)
        // The same request alone gives the same images as inside the batch: noise depends on (seed, k) only.
        let alone = try await client.generate(base.merging(["seed": 1]) { $1 })
        _ = try await client.waitForEnd(alone)
        for k in 0..<4 {
            let batched = try PNG.decode([UInt8](try await client.get("/v1/jobs/\(a)/images/\(k).png").body))
            let single = try PNG.decode([UInt8](try await client.get("/v1/jobs/\(alone)/images/\(k).png").body))
            // float32 results of a batch of 10 and of 4 images may differ in the last bits (other matmul blocking);
            // after 5 solver steps that is far below half of one 8-bit level (1/255 of the range), so at most one
            // level differs where a value sits on a rounding boundary.
            let largest = zip(batched.pixels, single.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(largest <= 1)
        }
        try await server.stop()
    }

    @Test func finishedJobsBeyondTheLimitAreForgotten() async throws {
        let server = try await TestServer.start { $0.keepJobs = 2 }
        let client = HTTPClient(server.base)
        var ids: [String] = []
        for seed in 0..<3 {
            let id = try await client.generate(["class": 0, "per_class": 1, "steps": 2, "seed": seed])
            _ = try await client.waitForEnd(id)
            ids.append(id)
        }
        let gone = try await client.get("/v1/jobs/\(ids[0])")
        #expect(gone.status == 404)
        #expect(try gone.json()["field"] as? String == "id")
        #expect(!FileManager.default.fileExists(atPath: server.output + "/" + ids[0]))
        #expect(try await client.get("/v1/jobs/\(ids[2])/grid.png").status == 200)
        try await server.stop()
    }
}
