import CZlibShim
import Foundation

/// Compression and checksums through the system zlib.
public enum Zlib {
    /// The stream framing handed to zlib.
    public enum Format: Sendable {
        /// A zlib stream (RFC 1950), as in PNG's IDAT data.
        case zlib
        /// A gzip member (RFC 1952); concatenated members are read one after another.
        case gzip
        /// A bare deflate stream (RFC 1951), as in zip entries.
        case raw

        var windowBits: Int32 {
            switch self {
            case .zlib: MAX_WBITS
            case .gzip: 16 + MAX_WBITS
            case .raw: -MAX_WBITS
            }
        }
    }

    /// The CRC-32 (ISO-HDLC, as in PNG, gzip and zip) of `bytes`, continuing from `crc`.
    public static func crc32<C: ContiguousBytes>(_ bytes: C, continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { buffer in
            var value = UInt(crc)
            var base = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
            var left = buffer.count
            while left > 0, let pointer = base {
                let step = Swift.min(left, Int(UInt32.max >> 1))
                value = CZlibShim.crc32(value, pointer, uInt(step))
                base = pointer + step
                left -= step
            }
            return UInt32(truncatingIfNeeded: value)
        }
    }

    /// Inflates `input` whole, refusing output past `maxOutput` bytes.
    ///
    /// `expectedSize` is only a hint for the first buffer, which is never larger than a few times the
    /// input: memory grows with the output actually produced. Throws when the data is corrupt
    /// (including a failed checksum), ends before the stream does, or inflates past `maxOutput`.
    public static func decompress<C: ContiguousBytes>(_ input: C, format: Format, expectedSize: Int? = nil,
                                                      maxOutput: Int = .max, what: String = "data") throws -> [UInt8] {
        let input = (input as? Data) ?? input.withUnsafeBytes { Data($0) }
        let inflater = try Inflater(input, format: format, what: what)
        let firstBuffer = Swift.min(expectedSize ?? .max, input.count > Int.max / 8 ? Int.max : input.count * 4 + 65536)
        let output = try inflater.read(count: Swift.min(maxOutput, Int.max - 1) + 1, firstBuffer: firstBuffer)
        guard output.count <= maxOutput else {
            throw TorchError("\(what): \(format) data inflates to more than \(maxOutput) bytes")
        }
        return output
    }

    /// Deflates `input` into a stream of `format` (zlib by default) at compression `level` (0...9).
    public static func compress<C: ContiguousBytes>(_ input: C, format: Format = .zlib, level: Int = 6) throws -> [UInt8] {
        precondition((0...9).contains(level), "zlib compression level must be in 0...9, got \(level)")
        return try input.withUnsafeBytes { (source: UnsafeRawBufferPointer) -> [UInt8] in
            var stream = z_stream()
            guard czlib_deflate_init(&stream, Int32(level), format.windowBits) == Z_OK else {
                throw TorchError("zlib could not start deflating")
            }
            defer { deflateEnd(&stream) }
            var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(source.count))) + 16)
            var produced = 0
            var consumed = 0
            while true {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
                let inputLeft = Swift.min(source.count - consumed, Int(UInt32.max >> 1))
                let outputLeft = Swift.min(output.count - produced, Int(UInt32.max >> 1))
                let flush = consumed + inputLeft == source.count ? Z_FINISH : Z_NO_FLUSH
                stream.next_in = source.baseAddress.map {
                    UnsafeMutablePointer(mutating: ($0 + consumed).assumingMemoryBound(to: Bytef.self))
                }
                stream.avail_in = uInt(inputLeft)
                let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress.map { $0 + produced }
                    stream.avail_out = uInt(outputLeft)
                    return deflate(&stream, flush)
                }
                consumed += inputLeft - Int(stream.avail_in)
                produced += outputLeft - Int(stream.avail_out)
                switch status {
                case Z_STREAM_END: return Array(output.prefix(produced))
                case Z_OK, Z_BUF_ERROR: continue
                default: throw TorchError("zlib deflate failed with code \(status) (\(message(stream)))")
                }
            }
        }
    }

    /// zlib's message for the stream's last error, if any.
    static func message(_ stream: z_stream) -> String {
        stream.msg.map { String(cString: $0) } ?? "no message"
    }
}

extension Zlib.Format: CustomStringConvertible {
    /// The format's name.
    public var description: String {
        switch self {
        case .zlib: "zlib"
        case .gzip: "gzip"
        case .raw: "deflate"
        }
    }
}
