import Foundation

/// Reads a zip archive's directory and entries (stored or deflated, Zip64 included), checking every
/// field against the bytes present, and CRCs.
///
/// Why this reader is hand-written while archives are written with ZIPFoundation: ZIPFoundation
/// 0.9.20 was tried on crafted archives (a probe program iterating `Archive` and extracting each entry):
/// - a Zip64 extra field giving a local-header offset past 2^63 stops the process ("Not enough bits
///   to represent the passed value", converting the offset to `off_t`);
/// - a stored entry declaring 2^40 bytes with 5 present, and a deflated entry whose stored block
///   claims more bytes than the file has, made it loop without end (killed after 20 s each):
///   its reads past the end of the file return nothing and it keeps asking;
/// - a 10 MB file that is not a zip took 2.1 s to be refused (it scans the whole file backwards for
///   the end record, a byte at a time; the format bounds that search to the last 64 KiB);
/// - its `Entry` does not expose where an entry's data starts, which a `.pth` reader needs to map
///   stored tensors without copying them (`storedRange(of:)` here).
/// Reading user files must never stop the process, so reading stays here, checked field by field.
public struct ZipReader: Sendable {
    /// One file in the archive, as the central directory describes it.
    public struct Entry: Sendable, Equatable {
        /// The entry's name.
        public let name: String
        /// Compression method: 0 stored, 8 deflate.
        public let method: UInt16
        /// General-purpose flags (bit 0: encrypted, bit 3: sizes in a data descriptor).
        public let flags: UInt16
        /// CRC-32 of the uncompressed bytes.
        public let crc: UInt32
        /// Size as stored, in bytes.
        public let compressedSize: UInt64
        /// Size once extracted, in bytes (as declared: checked when extracting).
        public let size: UInt64
        /// Offset of the entry's local header in the file.
        public let localHeaderOffset: UInt64
    }

    /// The largest entry `contents(of:)` inflates by default: 16 GiB.
    public static let defaultInflateLimit = 1 << 34
    /// The most bytes deflate can produce from one input byte (a run of 258-byte matches), rounded up.
    static let deflateRatio = 1033

    /// The archive path (or the name given to bytes in memory).
    public let path: String
    /// Entries in directory order.
    public let entries: [Entry]
    /// The archive's bytes (the file mapping when opened from a path).
    let data: Data

    /// Opens an archive (mapped, not copied) and parses its central directory.
    ///
    /// Throws `TorchError` naming the file when it cannot be read or any directory field is out of range.
    public init(path: String) throws {
        let data: Data
        do {
            data = try MappedFile.read(path)
        } catch let error as TorchError {
            throw TorchError(error.message)
        }
        try self.init(data: data, name: path)
    }

    /// Parses the central directory of archive bytes in memory; `name` stands for them in messages.
    public init(data: Data, name: String = "zip data") throws {
        path = name
        self.data = data
        entries = try ZipDirectory.parse(data, name: name)
    }

    /// The entry called `name`; throws listing the entries when there is none.
    public func entry(named name: String) throws -> Entry {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw TorchError("\(path): no entry named \(name) (entries: \(entries.map(\.name).joined(separator: ", ")))")
        }
        return entry
    }

    /// The extracted bytes of the entry called `name`.
    public func contents(of name: String) throws -> [UInt8] {
        try contents(of: entry(named: name))
    }

    /// The extracted bytes of an entry, checked against its declared size and CRC-32.
    ///
    /// A deflated entry is inflated only up to its declared size, which must be within `inflateLimit`
    /// and within what deflate can produce from the stored bytes; memory grows with the output.
    public func contents(of entry: Entry, inflateLimit: Int = ZipReader.defaultInflateLimit) throws -> [UInt8] {
        let range = try dataRange(of: entry)
        let stored = data[(data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound)]
        let bytes: [UInt8]
        switch entry.method {
        case 0:
            guard entry.size == entry.compressedSize else {
                throw fail(entry, "stored entry declares \(entry.compressedSize) bytes stored but \(entry.size) extracted")
            }
            bytes = [UInt8](stored)
        case 8:
            guard entry.size <= UInt64(inflateLimit) else {
                throw fail(entry, "declares \(entry.size) bytes once inflated, over the limit of \(inflateLimit)")
            }
            let (most, overflow) = entry.compressedSize.multipliedReportingOverflow(by: UInt64(Self.deflateRatio))
            guard overflow || entry.size <= most else {
                throw fail(entry, "declares \(entry.size) bytes, more than deflate can make of \(entry.compressedSize)")
            }
            let size = Int(entry.size)
            bytes = try Zlib.decompress(stored, format: .raw, expectedSize: size, maxOutput: size, what: "\(path): \(entry.name)")
        default:
            throw fail(entry, "unsupported compression method \(entry.method)")
        }
        guard UInt64(bytes.count) == entry.size else {
            throw fail(entry, "extracted \(bytes.count) bytes, directory says \(entry.size)")
        }
        let crc = Zlib.crc32(bytes)
        guard crc == entry.crc else { throw fail(entry, "CRC mismatch (stored \(entry.crc), computed \(crc))") }
        return bytes
    }

    /// Where the data of a stored (uncompressed) entry lies in the file, in bytes: for mapping it
    /// without copying, as `.pth` tensor storages are. The CRC is not checked here.
    ///
    /// Throws when the entry is compressed or encrypted, its local header is missing or names
    /// another file, or its data runs past the end of the file.
    public func storedRange(of entry: Entry) throws -> Range<Int> {
        guard entry.method == 0 else { throw fail(entry, "compressed (method \(entry.method)), not stored") }
        guard entry.size == entry.compressedSize else {
            throw fail(entry, "stored entry declares \(entry.compressedSize) bytes stored but \(entry.size) extracted")
        }
        return try dataRange(of: entry)
    }

    /// The bytes of a stored entry as a slice of the mapped file (no copy); see `storedRange(of:)`.
    public func storedData(of entry: Entry) throws -> Data {
        let range = try storedRange(of: entry)
        return data[(data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound)]
    }

    /// The bytes of a stored entry as a slice of the mapped file, after checking their CRC-32.
    public func checkedStoredData(of entry: Entry) throws -> Data {
        let bytes = try storedData(of: entry)
        let crc = Zlib.crc32(bytes)
        guard crc == entry.crc else { throw fail(entry, "CRC mismatch (stored \(entry.crc), computed \(crc))") }
        return bytes
    }

    /// The byte range of an entry's stored data, after checking its local header.
    private func dataRange(of entry: Entry) throws -> Range<Int> {
        guard entry.flags & 1 == 0 else { throw fail(entry, "encrypted entries are not supported") }
        let count = data.count
        guard entry.localHeaderOffset <= UInt64(count), let start = Int(exactly: entry.localHeaderOffset),
              start <= count - 30, ZipDirectory.u32(data, start) == 0x0403_4b50 else {
            throw fail(entry, "no local header at offset \(entry.localHeaderOffset)")
        }
        let nameLength = Int(ZipDirectory.u16(data, start + 26)), extraLength = Int(ZipDirectory.u16(data, start + 28))
        let dataStart = start + 30 + nameLength + extraLength
        guard dataStart <= count else { throw fail(entry, "local header runs past the end of the file") }
        let nameStart = data.startIndex + start + 30
        guard String(decoding: data[nameStart..<(nameStart + nameLength)], as: UTF8.self) == entry.name else {
            throw fail(entry, "local header names another file")
        }
        guard entry.compressedSize <= UInt64(count - dataStart) else {
            throw fail(entry, "data of \(entry.compressedSize) bytes runs past the end of the file (truncated?)")
        }
        return dataStart..<(dataStart + Int(entry.compressedSize))
    }

    private func fail(_ entry: Entry, _ why: String) -> TorchError {
        TorchError("\(path): entry \(entry.name): \(why)")
    }
}
