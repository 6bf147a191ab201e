import Foundation

/// Writes bytes to an open file descriptor, turning every failure into a plain-words error.
///
/// Partial writes are continued and interrupted writes retried; a failing write throws
/// "cannot write NAME: <system message>" (for example "No space left on device").
public final class FileWriter {
    /// The name used in error messages (the file the user asked for, not a temporary one).
    public let name: String
    /// Bytes written so far.
    public private(set) var count: UInt64 = 0
    let descriptor: Int32

    /// Wraps an open descriptor; the caller keeps ownership (this type never closes it).
    init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
    }

    /// Appends `bytes` to the file.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let written = systemWrite(descriptor, next, Swift.min(left, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                throw TorchError("cannot write \(name): \(Self.systemMessage(errno))")
            }
            guard written > 0 else { throw TorchError("cannot write \(name): the system accepted no bytes") }
            next += written
            left -= written
            count += UInt64(written)
        }
    }

    /// Appends the bytes of an array, `Data` or other contiguous storage.
    public func write<C: ContiguousBytes>(_ bytes: C) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// The C library's text for an `errno` value ("No space left on device").
    public static func systemMessage(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// `write(2)`, named apart from the method.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
