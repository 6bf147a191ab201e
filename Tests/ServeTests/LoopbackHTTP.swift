import Foundation
import TestSupport

/// One HTTP/1.1 exchange with chromedriver over a loopback socket.
///
/// URLSession on Linux rejects chromedriver's header lines, which have no space after the colon
/// (`Content-Length:250`: "Failed writing header"); chromedriver keeps the connection open, so the answer ends
/// after its Content-Length bytes of body.
enum LoopbackHTTP {
    /// Sends `method path` with an optional JSON body to 127.0.0.1:`port`; returns the status and the body.
    static func exchange(port: Int, method: String, path: String, body: Data? = nil, seconds: Double = 120) async throws -> (status: Int, body: Data) {
        var head = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)"]
        if body != nil { head.append("Content-Type: application/json") }
        let answer = try await RawConnection.exchange(port: port, head, body: body, seconds: seconds)
        return (answer.status, answer.body)
    }
}
