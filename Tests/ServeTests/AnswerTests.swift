import Foundation
@testable import Serve
import Testing

/// Answers for requests no route serves and for files that do not exist: JSON bodies, 404 or 405 with Allow,
/// canonical image names only, and 409s that say why a job has no files.
@Suite(.serialized) struct AnswerTests {
    @Test func unknownPathsAre404AndOtherMethods405WithAllow() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        for path in ["/v1/nothing", "/v1", "/v2/generate", "/v1/jobs/x/y/z", "/favicon.ico"] {
            let answer = try await client.get(path)
            #expect(answer.status == 404, "\(path)")
            #expect(answer.header("Content-Type")?.hasPrefix("application/json") == true, "\(path)")
            #expect(try answer.json()["field"] as? String == "path", "\(path)")
        }
        let cases: [(method: String, path: String, allow: String)] = [
            ("POST", "/", "GET"), ("GET", "/v1/generate", "POST"), ("PUT", "/v1/jobs/abc", "GET, DELETE"),
            ("DELETE", "/healthz", "GET"), ("POST", "/v1/jobs/abc/images/0.png", "GET"), ("PATCH", "/v1/models", "GET"),
        ]
        for (method, path, allow) in cases {
            let answer = try await client.send(method, path, body: method == "GET" || method == "DELETE" ? nil : Data("{}".utf8))
            #expect(answer.status == 405, "\(method) \(path)")
            #expect(answer.header("Allow") == allow, "\(method) \(path)")
            let json = try answer.json()
            #expect(json["field"] as? String == "method", "\(method) \(path)")
            #expect((json["error"] as? String)?.contains(allow) == true, "\(method) \(path)")
        }
        try await server.stop()
    }

    @Test func theRouteTableIsTheDocumentedAPI() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: [String: Set<String>] = [:]
        for (path, item) in paths {
            documented[path] = Set(item.keys.filter { ["get", "post", "put", "delete", "patch"].contains($0) }.map { $0.uppercased() })
        }
        var table: [String: Set<String>] = [:]
        for entry in RouteTable.entries { table[entry.path] = Set(entry.methods.map(\.rawValue)) }
        #expect(table == documented)
        #expect(RouteTable.methods(forPath: "/v1/jobs/abc/images/3.png") == [.get])
        #expect(RouteTable.methods(forPath: "/v1/jobs/abc/images/.png") == nil)
    }

    @Test func imagesHaveOneNameAndEndedJobsSayWhyTheyHaveNoFiles() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(server.base)
        let id = try await client.generate(["class": 1, "per_class": 2, "steps": 2])
        #expect(try await client.waitForEnd(id)["status"] as? String == "done")
        #expect(try await client.get("/v1/jobs/\(id)/images/1.png").status == 200)
        for name in ["00", "01", "+1", "1.0", "1e0", " 1", "0x1"] {
            let path = "/v1/jobs/\(id)/images/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name).png"
            let answer = try await client.get(path)
            #expect(answer.status == 404, "\(name)")
            #expect(try answer.json()["field"] as? String == "k", "\(name)")
        }
        server.store.hold(true)
        let cancelled = try await client.generate(["class": 0, "steps": 3])
        #expect(try await client.send("DELETE", "/v1/jobs/\(cancelled)").status == 200)
        let answer = try await client.get("/v1/jobs/\(cancelled)/grid.png")
        #expect(answer.status == 409)
        #expect(try answer.json()["error"] as? String == "job \(cancelled) was cancelled and has no files")
        let queued = try await client.generate(["class": 0, "steps": 3])
        let early = try await client.get("/v1/jobs/\(queued)/images/0.png")
        #expect(early.status == 409)
        #expect(try early.json()["error"] as? String == "job \(queued) is queued: its files exist once it is done")
        server.store.hold(false)
        try await server.stop()
    }
}
