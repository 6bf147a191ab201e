import Foundation

/// Reads a zip archive's directory and entries (stored or deflated, Zip64 included), checking CRCs.
public struct ZipReader: Sendable {
    /// One file in the archive, as the central directory describes it.
    public struct Entry: Sendable, Equatable {
        /// The entry's name.
        public let name: String
        /// Compression method: 0 stored, 8 deflate.
        public let method: UInt16
        /// CRC-32 of the uncompressed bytes.
        public let crc: UInt32
        /// Size as stored.
        public let compressedSize: UInt64
        /// Size once extracted.
        public let size: UInt64
        /// Offset of the entry's local header.
        public let localHeaderOffset: UInt64
    }

    /// The archive path.
    public let path: String
    /// Entries in directory order.
    public let entries: [Entry]
    private let data: Data

    /// Opens an archive and parses its central directory.
    public init(path: String) throws {
        self.path = path
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw DatasetError("cannot read \(path): \(error.localizedDescription)")
        }
        entries = try Self.parseDirectory(data, path: path)
    }

    /// The extracted bytes of the entry called `name`.
    public func contents(of name: String) throws -> [UInt8] {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw DatasetError("\(path): no entry named \(name) (entries: \(entries.map(\.name).joined(separator: ", ")))")
        }
        return try contents(of: entry)
    }

    /// The extracted bytes of an entry.
    public func contents(of entry: Entry) throws -> [UInt8] {
        func fail(_ why: String) -> DatasetError { DatasetError("\(path): entry \(entry.name): \(why)") }
        let start = Int(entry.localHeaderOffset)
        guard start + 30 <= data.count, Self.u32(data, start) == 0x0403_4b50 else { throw fail("bad local header") }
        let dataStart = start + 30 + Int(Self.u16(data, start + 26)) + Int(Self.u16(data, start + 28))
        guard dataStart + Int(entry.compressedSize) <= data.count else { throw fail("truncated entry data") }
        let stored = data.subdata(in: (data.startIndex + dataStart)..<(data.startIndex + dataStart + Int(entry.compressedSize)))
        let bytes: [UInt8]
        switch entry.method {
        case 0: bytes = [UInt8](stored)
        case 8: bytes = try Zlib.decompress(stored, format: .raw, expectedSize: Int(entry.size), what: "\(path): \(entry.name)")
        default: throw fail("unsupported compression method \(entry.method)")
        }
        guard bytes.count == Int(entry.size) else { throw fail("extracted \(bytes.count) bytes, directory says \(entry.size)") }
        let crc = Zlib.crc32(bytes)
        guard crc == entry.crc else { throw fail("CRC mismatch (stored \(entry.crc), computed \(crc))") }
        return bytes
    }

    private static func parseDirectory(_ data: Data, path: String) throws -> [Entry] {
        func fail(_ why: String) -> DatasetError { DatasetError("\(path): not a valid zip archive (\(why))") }
        guard data.count >= 22 else { throw fail("only \(data.count) bytes") }
        let lowest = Swift.max(0, data.count - 22 - 0xFFFF)
        guard let end = stride(from: data.count - 22, through: lowest, by: -1).first(where: { u32(data, $0) == 0x0605_4b50 }) else {
            throw fail("no end-of-central-directory record")
        }
        var count = UInt64(u16(data, end + 10))
        var directorySize = UInt64(u32(data, end + 12))
        var directoryStart = UInt64(u32(data, end + 16))
        if end >= 20, u32(data, end - 20) == 0x0706_4b50 {
            let record = Int(u64(data, end - 12))
            guard record + 56 <= data.count, u32(data, record) == 0x0606_4b50 else { throw fail("bad Zip64 end record") }
            count = u64(data, record + 32)
            directorySize = u64(data, record + 40)
            directoryStart = u64(data, record + 48)
        }
        guard directoryStart + directorySize <= UInt64(data.count) else { throw fail("central directory past the end of the file") }
        var entries: [Entry] = []
        var at = Int(directoryStart)
        for _ in 0..<count {
            guard at + 46 <= data.count, u32(data, at) == 0x0201_4b50 else { throw fail("bad central directory header at \(at)") }
            let method = u16(data, at + 10)
            let crc = u32(data, at + 16)
            var compressed = UInt64(u32(data, at + 20))
            var size = UInt64(u32(data, at + 24))
            let nameLength = Int(u16(data, at + 28)), extraLength = Int(u16(data, at + 30)), commentLength = Int(u16(data, at + 32))
            var offset = UInt64(u32(data, at + 42))
            guard at + 46 + nameLength + extraLength <= data.count else { throw fail("truncated central directory") }
            let nameStart = data.startIndex + at + 46
            let name = String(decoding: data[nameStart..<(nameStart + nameLength)], as: UTF8.self)
            // Zip64 extra field: 64-bit values for whichever 32-bit fields are saturated, in this order.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(data, extra), length = Int(u16(data, extra + 2))
                if id == 1 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF { size = u64(data, field); field += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = u64(data, field); field += 8 }
                    if offset == 0xFFFF_FFFF { offset = u64(data, field) }
                }
                extra += 4 + length
            }
            entries.append(Entry(name: name, method: method, crc: crc, compressedSize: compressed, size: size,
                                 localHeaderOffset: offset))
            at = extraEnd + commentLength
        }
        return entries
    }

    static func u16(_ data: Data, _ at: Int) -> UInt16 {
        let i = data.startIndex + at
        return UInt16(data[i]) | UInt16(data[i + 1]) << 8
    }

    static func u32(_ data: Data, _ at: Int) -> UInt32 {
        UInt32(u16(data, at)) | UInt32(u16(data, at + 2)) << 16
    }

    static func u64(_ data: Data, _ at: Int) -> UInt64 {
        UInt64(u32(data, at)) | UInt64(u32(data, at + 4)) << 32
    }
}
