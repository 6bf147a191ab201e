import CZlibShim
import Foundation

extension Zlib {
    /// Inflates a compressed stream held in memory piece by piece, so that callers can bound the
    /// output by what they expect (an IDX header, a zip directory) rather than by what it claims.
    public final class Inflater {
        /// Names the source in error messages.
        public let what: String
        /// Whether the stream has ended (every gzip member read).
        public private(set) var finished = false
        private let input: Data
        private let format: Format
        private var consumed = 0
        // zlib keeps a pointer back to its z_stream, so the stream needs a fixed address.
        private let stream: UnsafeMutablePointer<z_stream>

        /// Starts inflating `input` in `format`; throws when the input is empty.
        public init(_ input: Data, format: Format, what: String = "data") throws {
            guard !input.isEmpty else { throw TorchError("\(what): empty \(format) stream") }
            self.input = input
            self.format = format
            self.what = what
            stream = .allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard czlib_inflate_init(stream, format.windowBits) == Z_OK else {
                stream.deallocate()
                throw TorchError("\(what): zlib could not start inflating")
            }
        }

        deinit {
            inflateEnd(stream)
            stream.deallocate()
        }

        /// Inflates into `buffer`, returning the bytes written: all of it unless the stream ends first.
        public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard let base = buffer.baseAddress else { return 0 }
            var written = 0
            while written < buffer.count && !finished {
                let inputLeft = Swift.min(input.count - consumed, Int(UInt32.max >> 1))
                let outputLeft = Swift.min(buffer.count - written, Int(UInt32.max >> 1))
                let status = input.withUnsafeBytes { source -> Int32 in
                    stream.pointee.next_in = source.baseAddress.map {
                        UnsafeMutablePointer(mutating: ($0 + consumed).assumingMemoryBound(to: Bytef.self))
                    }
                    stream.pointee.avail_in = uInt(inputLeft)
                    stream.pointee.next_out = (base + written).assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(outputLeft)
                    return inflate(stream, Z_NO_FLUSH)
                }
                consumed += inputLeft - Int(stream.pointee.avail_in)
                written += outputLeft - Int(stream.pointee.avail_out)
                switch status {
                case Z_STREAM_END:
                    // gzip files may hold several members back to back; anything else after the end is ignored.
                    if format == .gzip, consumed + 1 < input.count,
                       input[input.startIndex + consumed] == 0x1f, input[input.startIndex + consumed + 1] == 0x8b {
                        guard inflateReset(stream) == Z_OK else { throw TorchError("\(what): zlib reset failed") }
                    } else {
                        finished = true
                    }
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if consumed == input.count {
                        throw TorchError("\(what): truncated \(format) stream (ended after \(input.count) bytes)")
                    }
                case Z_DATA_ERROR, Z_NEED_DICT:
                    throw TorchError("\(what): corrupt \(format) data (\(Zlib.message(stream.pointee)))")
                case Z_MEM_ERROR:
                    throw TorchError("\(what): zlib ran out of memory")
                default:
                    throw TorchError("\(what): zlib inflate failed with code \(status) (\(Zlib.message(stream.pointee)))")
                }
            }
            return written
        }

        /// Up to `count` more bytes: fewer only when the stream ends first.
        ///
        /// Memory grows with the output actually produced (doubling from `firstBuffer` bytes), so a
        /// `count` taken from an untrusted header allocates nothing that the data does not fill.
        public func read(count: Int, firstBuffer: Int = 1 << 16) throws -> [UInt8] {
            precondition(count >= 0, "inflate count cannot be negative")
            var output: [UInt8] = []
            var chunk = Swift.max(1, Swift.min(count, firstBuffer))
            while output.count < count && !finished {
                let start = output.count
                let size = Swift.min(chunk, count - start)
                output.append(contentsOf: repeatElement(0, count: size))
                let got = try output.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
                output.removeLast(size - got)
                chunk = Swift.min(Swift.max(chunk, start + got), Int.max / 2)
            }
            return output
        }
    }
}
