import Foundation
import NIOHTTP1
@testable import Serve
import Testing
import TestSupport

/// A connection the client does not keep is closed once answered: HTTP/1.0 without keep-alive, `Connection: close`
/// in any case. Before, both stayed open until the idle timeout, each holding one of the server's connections.
@Suite(.serialized) struct HTTP10ConnectionTests {
    @Test("the keep-alive rule: Connection tokens first (any case), then the version")
    func rule() {
        func head(_ minor: Int, _ connection: String?) -> HTTPRequestHead {
            var h = HTTPRequestHead(version: .init(major: 1, minor: minor), method: .GET, uri: "/")
            if let connection { h.headers.add(name: "Connection", value: connection) }
            return h
        }
        #expect(!HTTP10ConnectionClose.keepsAlive(head(0, nil)))
        #expect(HTTP10ConnectionClose.keepsAlive(head(0, "Keep-Alive")))
        #expect(HTTP10ConnectionClose.keepsAlive(head(1, nil)))
        #expect(!HTTP10ConnectionClose.keepsAlive(head(1, "Close")))
        #expect(!HTTP10ConnectionClose.keepsAlive(head(1, "keep-alive, close")))
        #expect(!HTTP10ConnectionClose.keepsAlive(head(0, "upgrade")))
    }

    @Test("answered, such a connection closes at once; a kept one stays open")
    func closesWhenAnswered() async throws {
        let server = try await TestServer.start { $0.idleTimeout = .seconds(120) }  // far beyond the waits below
        for (request, closes) in [("GET /healthz HTTP/1.0\r\n\r\n", true),
                                  ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Close\r\n\r\n", true),
                                  ("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false),
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
            #expect(String(decoding: data, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"), "\(request)")
            #expect(closed == closes, "\(request)")
        }
        try await server.stop()
    }
}
