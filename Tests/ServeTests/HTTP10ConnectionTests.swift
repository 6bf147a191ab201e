import Foundation
import NIOHTTP1
@testable import Serve
import Testing
import TestSupport

/// A connection the client does not keep is closed once answered: HTTP/1.0, `Connection: close` in any case. Before,
/// both stayed open until the idle timeout, each holding one of the server's connections, and an HTTP/1.0 client got
/// the event stream in chunked transfer coding, which HTTP/1.0 does not have.
@Suite(.serialized) struct HTTP10ConnectionTests {
    @Test("the keep-alive rule: close in the Connection tokens (any case), else HTTP/1.1 and later keep it")
    func rule() {
        func head(_ minor: Int, _ connection: String?) -> HTTPRequestHead {
            var h = HTTPRequestHead(version: .init(major: 1, minor: minor), method: .GET, uri: "/")
            if let connection { h.headers.add(name: "Connection", value: connection) }
            return h
        }
        #expect(!HTTP10ConnectionClose.keepsAlive(head(0, nil)))
        #expect(!HTTP10ConnectionClose.keepsAlive(head(0, "Keep-Alive")))  // a server may always close
        #expect(HTTP10ConnectionClose.keepsAlive(head(1, nil)))
        #expect(!HTTP10ConnectionClose.keepsAlive(head(1, "Close")))
        #expect(!HTTP10ConnectionClose.keepsAlive(head(1, "keep-alive, close")))
        #expect(HTTP10ConnectionClose.keepsAlive(head(1, "keep-alive, upgrade")))
        #expect(!HTTP10ConnectionClose.keepsAlive(head(0, "upgrade")))
    }

    @Test("answered, such a connection closes at once; a kept one stays open")
    func closesWhenAnswered() async throws {
        let server = try await TestServer.start { $0.idleTimeout = .seconds(120) }  // far beyond the waits below
        for (request, closes) in [("GET /healthz HTTP/1.0\r\n\r\n", true),
                                  ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Close\r\n\r\n", true),
                                  ("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
                                  ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", false)] {
            let connection = try RawConnection(port: server.port)
            try connection.send(request)
            // Closing comes right after the answer; the 30 s are a bound for a loaded machine, not a timing. A kept
            // connection is open when 2 s have passed with its answer in and nothing more coming.
            let (data, closed) = try await offPool { () -> (Data, Bool) in
                var data = Data()
                for _ in 0..<15 {
                    let read = connection.readUntilClosed(seconds: 2)
                    data.append(read.data)
                    if read.closed { return (data, true) }
                    if read.data.isEmpty && data.range(of: Data("\r\n\r\n".utf8)) != nil { break }
                }
                return (data, false)
            }
            let version = request.contains("HTTP/1.0") ? "HTTP/1.0" : "HTTP/1.1"  // an HTTP/1.0 request gets an HTTP/1.0 answer
            #expect(String(decoding: data, as: UTF8.self).hasPrefix(version + " 200 OK"), "\(request)")
            #expect(closed == closes, "\(request)")
        }
        try await server.stop()
    }

    @Test("an HTTP/1.0 client reads the event stream as it comes, ended by the close, not chunked; answers keep their order")
    func eventStreamAndPipelining() async throws {
        let server = try await TestServer.start { $0.idleTimeout = .seconds(120) }
        let client = HTTPClient(server.base)
        let id = try await client.generate(["class": 0, "per_class": 1, "steps": 2])
        let events = try RawConnection(port: server.port)
        try events.send("GET /v1/jobs/\(id)/events HTTP/1.0\r\n\r\n")
        let (data, closed) = try await offPool { events.readUntilClosed(seconds: 60) }
        let text = String(decoding: data, as: UTF8.self)
        #expect(closed && text.hasPrefix("HTTP/1.0 200 OK"), "\(text)")
        #expect(!text.lowercased().contains("transfer-encoding"), "\(text)")
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        #expect(body.hasPrefix("event: ") && body.contains("event: done"), "\(body)")  // no chunk sizes in it

        // Three pipelined requests, the second HTTP/1.0: two answers in order, then the close.
        let pipelined = try RawConnection(port: server.port)
        try pipelined.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n"
                           + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let (answers, ended) = try await offPool { pipelined.readUntilClosed(seconds: 30) }
        let statusLines = String(decoding: answers, as: UTF8.self).components(separatedBy: "HTTP/1.").dropFirst().map { String($0.prefix(6)) }
        #expect(ended && statusLines == ["1 200 ", "0 200 "], "\(String(decoding: answers, as: UTF8.self))")
        try await server.stop()
    }
}
