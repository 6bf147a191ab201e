import Foundation

/// Parsing of a zip archive's end records and central directory, every field checked against the
/// file's size before use (the reader of `ZipReader`).
enum ZipDirectory {
    /// Size of an end-of-central-directory record without its comment.
    static let endRecordSize = 22
    /// Size of a central directory header without its variable fields.
    static let headerSize = 46

    /// The entries listed by the central directory of `data`.
    static func parse(_ data: Data, name: String) throws -> [ZipReader.Entry] {
        func fail(_ why: String) -> TorchError { TorchError("\(name): not a valid zip archive (\(why))") }
        let count = data.count
        guard count >= endRecordSize else { throw fail("only \(count) bytes") }
        // The end record sits in the last 22 bytes plus at most a 65535-byte comment.
        let lowest = Swift.max(0, count - endRecordSize - 0xFFFF)
        guard let end = stride(from: count - endRecordSize, through: lowest, by: -1).first(where: { u32(data, $0) == 0x0605_4b50 }) else {
            throw fail("no end-of-central-directory record")
        }
        var entryCount = UInt64(u16(data, end + 10))
        var directorySize = UInt64(u32(data, end + 12))
        var directoryStart = UInt64(u32(data, end + 16))
        if end >= 20, u32(data, end - 20) == 0x0706_4b50 {
            let record = u64(data, end - 12)
            guard count >= 56, record <= UInt64(count - 56), u32(data, Int(record)) == 0x0606_4b50 else {
                throw fail("bad Zip64 end record at offset \(record)")
            }
            entryCount = u64(data, Int(record) + 32)
            directorySize = u64(data, Int(record) + 40)
            directoryStart = u64(data, Int(record) + 48)
        }
        guard directoryStart <= UInt64(count), directorySize <= UInt64(count) - directoryStart else {
            throw fail("central directory of \(directorySize) bytes at offset \(directoryStart) runs past the end of the file (\(count) bytes)")
        }
        // Each entry takes at least 46 bytes of directory: a larger count is a lie, refused before allocating.
        guard entryCount <= directorySize / UInt64(headerSize) else {
            throw fail("\(entryCount) entries declared, but a directory of \(directorySize) bytes holds at most \(directorySize / UInt64(headerSize))")
        }
        let directoryEnd = Int(directoryStart + directorySize)
        var entries: [ZipReader.Entry] = []
        entries.reserveCapacity(Int(entryCount))
        var at = Int(directoryStart)
        for index in 0..<Int(entryCount) {
            guard at <= directoryEnd - headerSize, u32(data, at) == 0x0201_4b50 else {
                throw fail("bad central directory header \(index) at offset \(at)")
            }
            let flags = u16(data, at + 8), method = u16(data, at + 10), crc = u32(data, at + 16)
            var compressed = UInt64(u32(data, at + 20))
            var size = UInt64(u32(data, at + 24))
            let nameLength = Int(u16(data, at + 28)), extraLength = Int(u16(data, at + 30)), commentLength = Int(u16(data, at + 32))
            var offset = UInt64(u32(data, at + 42))
            let next = at + headerSize + nameLength + extraLength + commentLength
            guard next <= directoryEnd else { throw fail("central directory header \(index) runs past the directory") }
            let nameStart = data.startIndex + at + headerSize
            let entryName = String(decoding: data[nameStart..<(nameStart + nameLength)], as: UTF8.self)
            // Zip64 extra field: 64-bit values for whichever 32-bit fields are saturated, in this order.
            var extra = at + headerSize + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(data, extra), length = Int(u16(data, extra + 2))
                let fieldEnd = extra + 4 + length
                guard fieldEnd <= extraEnd else { throw fail("extra field of \(entryName) runs past its header") }
                if id == 1 {
                    var field = extra + 4
                    func next64() throws -> UInt64 {
                        guard field + 8 <= fieldEnd else { throw fail("Zip64 field of \(entryName) is too short") }
                        defer { field += 8 }
                        return u64(data, field)
                    }
                    if size == 0xFFFF_FFFF { size = try next64() }
                    if compressed == 0xFFFF_FFFF { compressed = try next64() }
                    if offset == 0xFFFF_FFFF { offset = try next64() }
                }
                extra = fieldEnd
            }
            entries.append(ZipReader.Entry(name: entryName, method: method, flags: flags, crc: crc,
                                           compressedSize: compressed, size: size, localHeaderOffset: offset))
            at = next
        }
        return entries
    }

    /// Little-endian integers at byte offset `at` of `data` (callers check the bounds).
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
