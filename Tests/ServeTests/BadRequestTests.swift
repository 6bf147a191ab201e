import Foundation
@testable import Serve
import Testing

/// Every kind of bad request gets a 4xx JSON answer naming the field, before any work, and the server goes on.
@Suite(.serialized) struct BadRequestTests {
    /// A JSON body (as text) and the field the 400 must name.
    static let badBodies: [(body: String, field: String)] = [
        ("not json", "body"),
        ("[1, 2]", "body"),
        ("\"text\"", "body"),
        ("{\"classes\": [0], \"colour\": \"red\"}", "colour"),
        ("{\"steps\": \"ten\"}", "steps"),
        ("{\"steps\": 2.5}", "steps"),
        ("{\"steps\": 0}", "steps"),
        ("{\"steps\": 1001}", "steps"),
        ("{\"per_class\": 0}", "per_class"),
        ("{\"per_class\": 65}", "per_class"),
        ("{\"classes\": [0, 1, 2], \"per_class\": 30}", "per_class"),
        ("{\"per_class\": 99999999999999999999999}", "per_class"),
        ("{\"classes\": []}", "classes"),
        ("{\"classes\": 1}", "classes"),
        ("{\"classes\": [3]}", "classes[0]"),
        ("{\"classes\": [0, -1]}", "classes[1]"),
        ("{\"classes\": [0, \"dragon\"]}", "classes[1]"),
        ("{\"classes\": [0, 1.5]}", "classes[1]"),
        ("{\"classes\": [0, {\"a\": 1}]}", "classes[1]"),
        ("{\"class\": 7}", "class"),
        ("{\"class\": \"circle,square\"}", "class"),
        ("{\"class\": 0, \"classes\": [1]}", "classes"),
        ("{\"sampler\": \"euler\"}", "sampler"),
        ("{\"sampler\": 3}", "sampler"),
        ("{\"guidance\": \"strong\"}", "guidance"),
        ("{\"scale\": 5000}", "scale"),
        ("{\"scale\": \"big\"}", "scale"),
        ("{\"guidance\": \"decayed\", \"scale\": 0.5}", "scale"),
        ("{\"guidance\": \"decayed\", \"scale\": 2, \"power\": 0}", "power"),
        ("{\"interval\": [500]}", "interval"),
        ("{\"interval\": [600, 500]}", "interval"),
        ("{\"interval\": [0, 2000]}", "interval"),
        ("{\"interval\": [0, \"x\"]}", "interval[1]"),
        ("{\"format\": \"jpeg\"}", "format"),
        ("{\"preview_every\": -1}", "preview_every"),
        ("{\"steps\": 5, \"preview_every\": 10}", "preview_every"),
        ("{\"steps\": 25, \"preview_every\": 10}", "preview_every"),
        ("{\"seed\": -1}", "seed"),
        ("{\"seed\": 1e30}", "seed"),
        ("{\"seed\": 18446744073709551616}", "seed"),
    ]

    @Test func badBodiesNameTheField() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        for (body, field) in Self.badBodies {
            let answer = try await client.send("POST", "/v1/generate", body: Data(body.utf8))
            #expect(answer.status == 400, "\(body)")
            let json = try answer.json()
            #expect(json["field"] as? String == field, "\(body): \(answer.text)")
            #expect((json["error"] as? String)?.isEmpty == false, "\(body)")
        }
        // Nothing was queued, and the server still works.
        #expect(server.store.counts.known == 0)
        let id = try await HTTPClient(server.base).generate(["class": "circle", "per_class": 1, "steps": 2])
        #expect(try await client.waitForEnd(id)["status"] as? String == "done")
        try await server.stop()
    }

    @Test func wrongContentTypeAndOversizedBodies() async throws {
        let server = try await TestServer.start { $0.maxBodyBytes = 1024 }
        let client = HTTPClient(server.base)
        let plain = try await client.send("POST", "/v1/generate", body: Data("{}".utf8), contentType: "text/plain")
        #expect(plain.status == 415)
        #expect(try plain.json()["field"] as? String == "Content-Type")
        let padding = String(repeating: " ", count: 2000)
        let large = try await client.send("POST", "/v1/generate", body: Data("{\"steps\": 2\(padding)}".utf8))
        #expect(large.status == 413)
        #expect(try large.json()["field"] as? String == "body")
        // Exactly at the limit is fine.
        let fits = "{\"steps\": 2" + String(repeating: " ", count: 1024 - 12) + "}"
        #expect(fits.utf8.count == 1024)
        #expect(try await client.send("POST", "/v1/generate", body: Data(fits.utf8)).status == 202)
        try await server.stop()
    }

    @Test func unknownJobsFilesAndPathsAre404() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        let id = try await client.generate(["class": 1, "per_class": 2, "steps": 2])
        _ = try await client.waitForEnd(id)
        let unknown = try await client.get("/v1/jobs/0123456789abcdef01234567")
        #expect(unknown.status == 404)
        #expect(try unknown.json()["field"] as? String == "id")
        for k in ["2", "-1", "abc", "1e3", "00000-class-1", "..%2F..%2Fgrid"] {
            let answer = try await client.get("/v1/jobs/\(id)/images/\(k).png")
            #expect(answer.status == 404, "\(k)")
        }
        // Path tricks never reach a file outside the jobs' folders.
        let secret = server.output + "/../secret.txt"
        let marker = "the content of a file outside the output folder"
        try marker.write(toFile: secret, atomically: true, encoding: .utf8)
        for path in ["/v1/jobs/..%2Fsecret.txt/grid.png", "/v1/jobs/%2e%2e/images/0.png", "/v1/jobs/..%2F..%2Fsecret.txt",
                     "/v1/jobs/\(id)/images/..%2F..%2F..%2Fsecret.txt", "/../secret.txt", "/v1/jobs/\(id)/..%2F..%2Fsecret.txt"] {
            let answer = try await client.get(path)
            #expect(answer.status == 404, "\(path)")
            #expect(!answer.text.contains(marker), "\(path)")
        }
        #expect(try await client.get("/v1/jobs/\(id)/samples.npz").status == 404)
        #expect(try await client.get("/v1/nothing").status == 404)
        try await server.stop()
    }
}
