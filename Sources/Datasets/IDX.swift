import Foundation
import Torch

/// An IDX array (the format of MNIST and Fashion-MNIST): unsigned bytes with a shape.
///
/// The header is two zero bytes, a type code (0x08, unsigned byte, is the only one supported),
/// the number of dimensions and one big-endian 32-bit size per dimension; the elements follow.
public struct IDXArray: Sendable, Equatable {
    /// Size of each dimension, outermost first.
    public let shape: [Int]
    /// The elements in C order.
    public let bytes: [UInt8]

    /// Number of items along the first dimension.
    public var count: Int { shape.first ?? 0 }

    /// Parses IDX bytes (already decompressed); `what` names the source in error messages.
    ///
    /// Throws `DatasetError` on a bad magic number or type, a truncated header, a shape whose
    /// element count overflows, or a data size other than the shape's (checked before copying).
    public init<C: Collection<UInt8>>(parsing data: C, what: String = "IDX data") throws where C.Index == Int {
        let header = Array(data.prefix(4 + 4 * 255))
        let (shape, elements) = try Self.parseHeader(header, what: what)
        let headerSize = 4 + 4 * shape.count
        let (expected, overflow) = headerSize.addingReportingOverflow(elements)
        guard !overflow, data.count == expected else {
            let how = !overflow && data.count > expected ? "too long" : "truncated"
            throw DatasetError("\(what): IDX file \(how): shape \(shape) needs \(overflow ? "more than 2^63" : "\(expected)") bytes, found \(data.count)")
        }
        self.init(shape: shape, bytes: Array(data.dropFirst(headerSize)))
    }

    /// An array from a checked shape and its elements.
    private init(shape: [Int], bytes: [UInt8]) {
        self.shape = shape
        self.bytes = bytes
    }

    /// Parses IDX file bytes, inflating them first when they are gzip-compressed (by their magic bytes).
    ///
    /// A gzip stream is inflated only as far as the checked header says (plus one byte to detect a
    /// longer file): its own size field is not trusted, and memory grows with the output produced.
    public init(fileBytes raw: Data, what: String = "IDX data") throws {
        guard raw.count >= 2, raw[raw.startIndex] == 0x1f, raw[raw.startIndex + 1] == 0x8b else {
            try self.init(parsing: raw, what: what)
            return
        }
        let inflater = try Zlib.Inflater(raw, format: .gzip, what: what)
        var header = try inflater.read(count: 4)
        if header.count == 4 { header += try inflater.read(count: 4 * Int(header[3])) }
        let (shape, elements) = try Self.parseHeader(header, what: what)
        let body = try inflater.read(count: elements == Int.max ? elements : elements + 1)
        guard body.count == elements else {
            let how = body.count < elements ? "truncated" : "too long"
            throw DatasetError("\(what): IDX file \(how): shape \(shape) needs \(elements) data bytes, \(body.count < elements ? "found \(body.count)" : "found more")")
        }
        self.init(shape: shape, bytes: body)
    }

    /// Reads an IDX file, inflating it first when it is gzip-compressed.
    public init(contentsOf path: String) throws {
        let raw: Data
        do {
            raw = try MappedFile.read(path)
        } catch let error as TorchError {
            throw DatasetError(error.message)
        }
        try self.init(fileBytes: raw, what: path)
    }

    /// The shape and element count of the header at the start of `data` (which may hold more).
    static func parseHeader(_ data: [UInt8], what: String) throws -> (shape: [Int], elements: Int) {
        guard data.count >= 4 else {
            throw DatasetError("\(what): truncated IDX file (\(data.count) bytes, shorter than the 4-byte magic number)")
        }
        guard data[0] == 0, data[1] == 0 else {
            let magic = data.prefix(4).map { String(format: "%02x", $0) }.joined()
            throw DatasetError("\(what): not an IDX file (magic number 0x\(magic) does not start with two zero bytes)")
        }
        guard data[2] == 0x08 else {
            throw DatasetError("\(what): IDX element type 0x\(String(format: "%02x", data[2])) is not supported (only 0x08, unsigned byte)")
        }
        let rank = Int(data[3])
        guard rank >= 1 else { throw DatasetError("\(what): IDX file declares zero dimensions") }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw DatasetError("\(what): truncated IDX header (\(data.count) bytes, \(rank) dimensions need \(headerSize))")
        }
        var shape: [Int] = []
        var elements = 1
        var overflow = false
        for d in 0..<rank {
            let o = 4 + 4 * d
            let size = Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
            shape.append(size)
            let (product, o1) = elements.multipliedReportingOverflow(by: size)
            overflow = overflow || o1
            elements = product
        }
        if shape.contains(0) { return (shape, 0) }
        guard !overflow else { throw DatasetError("\(what): IDX shape \(shape) overflows: more than 2^63 elements") }
        return (shape, elements)
    }
}
