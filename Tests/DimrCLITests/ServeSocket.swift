import Foundation

/// A plain TCP connection to a loopback port that sends a request and holds it half-sent, as a stuck client does.
final class ServeSocket {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port` and sends `text`.
    init(port: Int, sending text: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLIError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        let bytes = Array(text.utf8)
        guard connected, send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            close(fd)
            throw CLIError("cannot send to 127.0.0.1:\(port)")
        }
    }

    deinit { close(fd) }
}

/// Waits up to `seconds` for `process` to exit; false when it still runs.
func waitForExit(_ process: Process, seconds: Double) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning {
        guard Date() < deadline else { return false }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
    return true
}
