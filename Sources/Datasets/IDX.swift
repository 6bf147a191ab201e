import Foundation

/// An IDX array (the format of MNIST and Fashion-MNIST): unsigned bytes with a shape.
public struct IDXArray: Sendable, Equatable {
    /// Size of each dimension, outermost first.
    public let shape: [Int]
    /// The elements in C order.
    public let bytes: [UInt8]

    /// Number of items along the first dimension.
    public var count: Int { shape.first ?? 0 }

    /// Parses IDX bytes (already decompressed); `what` names the source in error messages.
    ///
    /// The header is two zero bytes, a type code (0x08, unsigned byte, is the only one supported),
    /// the number of dimensions and one big-endian 32-bit size per dimension.
    public init<C: Collection<UInt8>>(parsing data: C, what: String = "IDX data") throws where C.Index == Int {
        let data = Array(data)
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
        for d in 0..<rank {
            let o = 4 + 4 * d
            let size = Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
            shape.append(size)
            elements *= size
        }
        let expected = headerSize + elements
        guard data.count == expected else {
            let how = data.count < expected ? "truncated" : "too long"
            throw DatasetError("\(what): IDX file \(how): shape \(shape) needs \(expected) bytes, found \(data.count)")
        }
        self.shape = shape
        self.bytes = Array(data[headerSize...])
    }

    /// Reads an IDX file, inflating it first when it is gzip-compressed (detected by its magic bytes).
    public init(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DatasetError("\(path): file not found")
        }
        let raw: Data
        do {
            raw = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DatasetError("\(path): cannot read (\(error.localizedDescription))")
        }
        if raw.count >= 2, raw[raw.startIndex] == 0x1f, raw[raw.startIndex + 1] == 0x8b {
            let inflated = try Zlib.decompress(raw, format: .gzip, expectedSize: raw.count * 2, what: path)
            try self.init(parsing: inflated, what: path)
        } else {
            try self.init(parsing: [UInt8](raw), what: path)
        }
    }
}
