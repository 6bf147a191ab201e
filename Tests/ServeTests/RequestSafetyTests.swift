import Foundation
import TestSupport
@testable import Serve
import Testing

/// What keeps web pages of other sites out: the body must be declared application/json (a type browsers do not
/// send across sites without asking), an Origin must be the server's own, and the Host must name the server by
/// an IP address, localhost or its --host (DNS rebinding).
@Suite(.serialized) struct RequestSafetyTests {
    static let body = Data(#"{"class": 0, "per_class": 1, "steps": 2}"#.utf8)

    @Test func onlyApplicationJSONIsAccepted() async throws {
        let server = try await TestServer.start()
        server.store.hold(true)
        let line = "POST /v1/generate HTTP/1.1"
        let host = "Host: 127.0.0.1:\(server.port)"
        for type in [nil, "application/jsonx", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                     "application/json-patch+json", "text/plain; application/json"] {
            let answer = try await RawConnection.exchange(port: server.port, [line, host] + (type.map { ["Content-Type: \($0)"] } ?? []),
                                                          body: Self.body)
            #expect(answer.status == 415, "\(type ?? "no Content-Type")")
            #expect(try answer.json()["field"] as? String == "Content-Type", "\(type ?? "no Content-Type")")
        }
        for type in ["application/json", "Application/JSON; charset=utf-8", "application/json ;charset=UTF-8"] {
            let answer = try await RawConnection.exchange(port: server.port, [line, host, "Content-Type: \(type)"], body: Self.body)
            #expect(answer.status == 202, "\(type): \(answer.text)")
        }
        #expect(server.store.counts.known == 3)
        server.store.hold(false)
        try await server.stop()
    }

    @Test func requestsFromAnotherOriginAreRefused() async throws {
        let server = try await TestServer.start()
        server.store.hold(true)
        let head = ["POST /v1/generate HTTP/1.1", "Host: 127.0.0.1:\(server.port)", "Content-Type: application/json"]
        for origin in ["http://evil.example", "null", "http://127.0.0.1:\(server.port + 1)", "http://localhost:\(server.port)",
                       "http://127.0.0.1", "http://127.0.0.1:\(server.port).evil.example"] {
            let answer = try await RawConnection.exchange(port: server.port, head + ["Origin: \(origin)"], body: Self.body)
            #expect(answer.status == 403, "\(origin)")
            #expect(try answer.json()["field"] as? String == "Origin", "\(origin)")
        }
        // Cancelling from another origin is refused too.
        let id = try await HTTPClient(server.base).generate(["class": 0, "per_class": 1, "steps": 2])
        let cancel = try await RawConnection.exchange(port: server.port, ["DELETE /v1/jobs/\(id) HTTP/1.1", "Host: 127.0.0.1:\(server.port)",
                                                                         "Origin: http://evil.example"])
        #expect(cancel.status == 403)
        #expect(server.store.job(id)?.state == .queued)
        // The page's own origin, as a browser sends it with its POST.
        let own = try await RawConnection.exchange(port: server.port, head + ["Origin: http://127.0.0.1:\(server.port)"], body: Self.body)
        #expect(own.status == 202, "\(own.text)")
        server.store.hold(false)
        try await server.stop()
    }

    @Test func onlyHostsThatNameThisServerAreAnswered() async throws {
        let server = try await TestServer.start()
        server.store.hold(true)
        let port = server.port
        for host in ["evil.example", "evil.example:\(port)", "127.0.0.1.evil.example:\(port)", "localhost.evil.example", "[::1", ""] {
            for line in ["GET /healthz HTTP/1.1", "GET /v1/jobs/0123456789abcdef01234567/grid.png HTTP/1.1"] {
                let answer = try await RawConnection.exchange(port: port, [line, "Host: \(host)"])
                #expect(answer.status == 403, "\(host) \(line)")
                let json = try answer.json()
                #expect(json["field"] as? String == "Host", "\(host)")
                #expect((json["error"] as? String)?.contains("IP addresses or localhost") == true, "\(host)")
            }
        }
        let post = try await RawConnection.exchange(port: port, ["POST /v1/generate HTTP/1.1", "Host: rebound.example:\(port)",
                                                                 "Content-Type: application/json", "Origin: http://rebound.example:\(port)"],
                                                    body: Self.body)
        #expect(post.status == 403)
        #expect(server.store.counts.known == 0)
        for host in ["127.0.0.1:\(port)", "127.0.0.1", "localhost:\(port)", "LOCALHOST.", "[::1]:\(port)", "192.168.1.20:\(port)"] {
            #expect(try await RawConnection.exchange(port: port, ["GET /healthz HTTP/1.1", "Host: \(host)"]).status == 200, "\(host)")
        }
        server.store.hold(false)
        try await server.stop()
    }

    @Test func hostRules() {
        let rules = HostRules(serverHost: "Studio.lan")
        #expect(rules.allows(host: "studio.lan:8080") && rules.allows(host: "STUDIO.LAN.") && rules.allows(host: "[::1]:80"))
        #expect(!rules.allows(host: "studio.lan.evil.example") && !rules.allows(host: "x:99999") && !rules.allows(host: "a:b:c"))
        #expect(rules.allowedDescription.contains("Studio.lan"))
        #expect(!HostRules(serverHost: "0.0.0.0").allowedDescription.contains("0.0.0.0"))
        #expect(HostRules.origin("http://studio.lan", matchesHost: "studio.lan:80"))
        #expect(HostRules.origin("HTTP://127.0.0.1:8080", matchesHost: "127.0.0.1:8080"))
        #expect(HostRules.origin("https://studio.lan", matchesHost: "studio.lan"))
        #expect(!HostRules.origin("http://studio.lan:8081", matchesHost: "studio.lan:8080"))
        #expect(!HostRules.origin("file://", matchesHost: "studio.lan"))
    }
}
