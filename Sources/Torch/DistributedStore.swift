import CTorch
import Foundation

/// A key-value store shared by the processes of a distributed job: c10d's `TCPStore`, as
/// `torch.distributed.TCPStore`. One process hosts it (the server); the others connect to it.
public final class DistributedStore: @unchecked Sendable {
    let handle: OpaquePointer
    /// The host the store was opened with.
    public let host: String
    /// How long connecting and waiting for a key may take.
    public let timeout: Duration

    /// Hosts a store on `host`:`port` (port 0: a free port, see `port`), or connects to the one there
    /// (`isServer` false), trying for up to `timeout`.
    /// - Throws: `TorchError` when the port is outside 0...65535 (0 only for a server), the timeout is not
    ///   positive, or the server cannot be reached or the port bound within the timeout.
    public init(host: String, port: Int, isServer: Bool, timeout: Duration) throws {
        let ms = Self.milliseconds(timeout)
        guard ms > 0 else { throw TorchError("store timeout must be positive, got \(timeout)") }
        guard (0...65535).contains(port) else { throw TorchError("store port \(port) is outside 0...65535") }
        guard let h = ct_store_tcp(host, Int32(port), isServer ? 1 : 0, ms) else { throw TorchError.last() }
        handle = h
        self.host = host
        self.timeout = timeout
    }

    deinit { ct_store_free(handle) }

    /// The port the store listens on (server) or is connected to (client).
    public var port: Int { Int(ct_store_port(handle)) }

    /// Sets `key` to `value`.
    public func set(_ key: String, _ value: [UInt8]) throws {
        try check(value.withUnsafeBytes { ct_store_set(handle, key, $0.baseAddress, $0.count) })
    }

    /// Sets `key` to the UTF-8 bytes of `value`.
    public func set(_ key: String, string value: String) throws { try set(key, Array(value.utf8)) }

    /// The value of `key`, waiting up to `timeout` (the store's own when nil) for another process to set it.
    /// - Throws: `TorchError` on a timeout or a lost connection.
    public func get(_ key: String, timeout: Duration? = nil) throws -> [UInt8] {
        let ms = Self.milliseconds(timeout ?? self.timeout)
        var length = 0
        var buffer = [UInt8](repeating: 0, count: 256)
        try check(buffer.withUnsafeMutableBytes { ct_store_get(handle, key, ms, $0.baseAddress, $0.count, &length) })
        if length > buffer.count {  // the key is set by now: read it again in full
            buffer = [UInt8](repeating: 0, count: length)
            try check(buffer.withUnsafeMutableBytes { ct_store_get(handle, key, ms, $0.baseAddress, $0.count, &length) })
        }
        return Array(buffer.prefix(length))
    }

    /// The value of `key` as UTF-8 text (see `get`).
    public func getString(_ key: String, timeout: Duration? = nil) throws -> String {
        String(decoding: try get(key, timeout: timeout), as: UTF8.self)
    }

    /// Whether `key` is set.
    public func contains(_ key: String) throws -> Bool {
        let r = ct_store_check(handle, key)
        if r < 0 { throw TorchError.last() }
        return r == 1
    }

    /// Adds `delta` to the integer at `key` (0 when unset) and returns the sum.
    @discardableResult
    public func add(_ key: String, _ delta: Int) throws -> Int {
        var value: Int64 = 0
        try check(ct_store_add(handle, key, Int64(delta), &value))
        return Int(value)
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        let (ms, overflow) = s.multipliedReportingOverflow(by: 1000)
        return overflow ? Int64.max : ms + atto / 1_000_000_000_000_000
    }
}
