import Dispatch
import Foundation

/// A plain TCP connection to a loopback port, for requests no HTTP client sends: partial heads, half-sent bodies,
/// chosen Host headers, bytes that are not UTF-8.
///
/// Shared by the serve tests and the `dimr serve` command tests. Its reads block; call them through `offPool` so that Swift concurrency's few threads stay free for the server.
public final class RawConnection: @unchecked Sendable {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketTestError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            close(fd)
            throw SocketTestError("cannot connect to 127.0.0.1:\(port)")
        }
    }

    deinit { close(fd) }

    /// Sends `bytes` whole.
    public func send(_ bytes: Data) throws {
        try bytes.withUnsafeBytes { buffer in
            var sent = 0
            while sent < buffer.count {
                let n = Glibc.send(fd, buffer.baseAddress?.advanced(by: sent), buffer.count - sent, Int32(MSG_NOSIGNAL))
                if n < 0 && errno == EINTR { continue }   // a signal (the test process's children exiting)
                guard n > 0 else { throw SocketTestError("send failed: errno \(errno)") }
                sent += n
            }
        }
    }

    /// Sends `text` as UTF-8.
    public func send(_ text: String) throws { try send(Data(text.utf8)) }

    /// Reads until the server closes the connection or `seconds` pass: what came, and whether it closed.
    public func readUntilClosed(seconds: Double) -> (data: Data, closed: Bool) {
        var data = Data()
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return (data, false) }
            switch readSome(milliseconds: Int32(min(left, 1) * 1000)) {
            case .bytes(let bytes): data.append(bytes)
            case .closed: return (data, true)
            case .nothing: continue
            }
        }
    }

    /// Reads one response (its head and the Content-Length bytes of body), waiting up to `seconds`.
    public func readResponse(seconds: Double) throws -> HTTPAnswer {
        var data = Data()
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let answer = Self.parse(data) { return answer }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw SocketTestError("no whole answer within \(seconds) s: \(String(decoding: data, as: UTF8.self))") }
            switch readSome(milliseconds: Int32(min(left, 1) * 1000)) {
            case .bytes(let bytes): data.append(bytes)
            case .closed:
                if let answer = Self.parse(data) { return answer }
                throw SocketTestError("the connection closed before a whole answer: \(String(decoding: data, as: UTF8.self))")
            case .nothing: continue
            }
        }
    }

    private enum Read { case bytes(Data), closed, nothing }

    private func readSome(milliseconds: Int32) -> Read {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, max(1, milliseconds)) > 0 else { return .nothing }   // time up, or EINTR
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        // A signal (SIGCHLD, as the suite's child processes exit) interrupts a blocking call: not an answer, not
        // the end. Taking it for one failed the browser test under the whole suite.
        if n < 0 && errno == EINTR { return .nothing }
        if n <= 0 { return .closed }   // end of stream, or reset by the server
        return .bytes(Data(buffer[0..<n]))
    }

    /// An answer parsed from `data` once its head and Content-Length bytes of body are there.
    public static func parse(_ data: Data) -> HTTPAnswer? {
        guard let split = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: data[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let length = headers.first { $0.key.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let body = data[split.upperBound...]
        guard body.count >= length else { return nil }
        return HTTPAnswer(status: status, headers: headers, body: Data(body.prefix(length)))
    }

    /// One request with `Connection: close` on a fresh connection: the head lines given (request line first), then
    /// Content-Length and `body` when there is one.
    public static func exchange(port: Int, _ head: [String], body: Data? = nil, seconds: Double = 60) async throws -> HTTPAnswer {
        let connection = try RawConnection(port: port)
        var text = head.joined(separator: "\r\n") + "\r\nConnection: close\r\n"
        if let body { text += "Content-Length: \(body.count)\r\n" }
        try connection.send(Data((text + "\r\n").utf8) + (body ?? Data()))
        return try await offPool { try connection.readResponse(seconds: seconds) }
    }
}

/// Runs blocking `work` on a thread of its own, off Swift concurrency's threads (which the server needs). Not on
/// Dispatch's global queue: on Linux its pool grows slowly past the core count, so with other suites blocking in it
/// at the same time the work could wait tens of seconds to start, and timings measured around it would include that.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// An HTTP answer.
public struct HTTPAnswer: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as a JSON object.
    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw SocketTestError("not a JSON object: \(String(decoding: body, as: UTF8.self))")
        }
        return object
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// A header, case-insensitive.
    public func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}

/// A failed socket exchange in a test.
public struct SocketTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
