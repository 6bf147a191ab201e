import Foundation

/// One HTTP/1.1 exchange over a loopback socket.
///
/// For chromedriver, whose header lines have no space after the colon (`Content-Length:250`), which
/// URLSession on Linux rejects ("Failed writing header").
enum LoopbackHTTP {
    /// Sends `method path` with an optional JSON body to 127.0.0.1:`port`; returns the status and the body.
    static func exchange(port: Int, method: String, path: String, body: Data? = nil, seconds: Int = 120) throws -> (status: Int, body: Data) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw TestFailure("cannot connect to 127.0.0.1:\(port)") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        let request = Data((head + "\r\n").utf8) + (body ?? Data())
        try request.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let n = send(fd, bytes.baseAddress?.advanced(by: sent), bytes.count - sent, 0)
                guard n > 0 else { throw TestFailure("send to 127.0.0.1:\(port) failed") }
                sent += n
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        // Until the body has Content-Length bytes (chromedriver keeps the connection open), or the server closes.
        while !complete(response) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { throw TestFailure("no answer from 127.0.0.1:\(port) within \(seconds) s") }
            if n == 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)),
              let statusLine = String(decoding: response[..<split.lowerBound], as: UTF8.self).split(separator: "\r\n").first,
              let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw TestFailure("not an HTTP answer from 127.0.0.1:\(port)")
        }
        return (status, response[split.upperBound...])
    }

    /// Whether `response` holds its whole head and the Content-Length bytes of body it announces.
    private static func complete(_ response: Data) -> Bool {
        guard let split = response.range(of: Data("\r\n\r\n".utf8)) else { return false }
        let head = String(decoding: response[..<split.lowerBound], as: UTF8.self)
        for line in head.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length",
               let length = Int(parts[1].trimmingCharacters(in: .whitespaces)) {
                return response.count - split.upperBound >= length
            }
        }
        return false
    }
}
