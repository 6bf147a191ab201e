import Foundation

/// Writes a zip archive of stored (uncompressed) entries, streaming each entry's bytes to disk.
///
/// Sizes are declared up front, the CRC-32 is patched into the local header when an entry ends,
/// and Zip64 records are added where sizes or offsets pass 4 GiB. The file appears at its path
/// only after `finish()` (written beside it, then renamed).
public final class ZipWriter {
    private struct Entry {
        var name: [UInt8]
        var size: UInt64
        var crc: UInt32
        var offset: UInt64
        var zip64: Bool
    }

    /// The file being written.
    public let path: String
    private let temporaryPath: String
    private var handle: FileHandle?
    private var entries: [Entry] = []
    private var open: (index: Int, written: UInt64, crc: UInt32)?
    private var position: UInt64 = 0
    /// Entries at least this large (or this far in) get Zip64 fields; lowered only by tests.
    var zip64Threshold: UInt64 = 0xFFFF_FFFF

    /// Starts a new archive at `path` (replacing any file there once finished).
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil) else {
            throw DatasetError("cannot create \(temporaryPath): check that its folder exists and is writable")
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporaryPath))
    }

    deinit {
        if handle != nil {
            try? handle?.close()
            unlink(temporaryPath)
        }
    }

    /// Begins an entry of exactly `size` bytes, to be given by `write` calls and closed by `endEntry`.
    public func beginEntry(_ name: String, size: Int) throws {
        precondition(open == nil, "zip entry \(name) begun while another is still open")
        precondition(size >= 0, "zip entry size cannot be negative")
        let nameBytes = Array(name.utf8)
        precondition(!nameBytes.isEmpty && nameBytes.count <= Int(UInt16.max), "invalid zip entry name \(name)")
        let entry = Entry(name: nameBytes, size: UInt64(size), crc: 0, offset: position,
                          zip64: UInt64(size) >= zip64Threshold || position >= zip64Threshold)
        entries.append(entry)
        open = (entries.count - 1, 0, 0)
        try emit(localHeader(entry))
    }

    /// Appends bytes to the open entry.
    public func write<C: ContiguousBytes>(_ bytes: C) throws {
        guard let current = open else { preconditionFailure("zip write without an open entry") }
        let (count, crc) = bytes.withUnsafeBytes { ($0.count, Zlib.crc32($0, continuing: current.crc)) }
        let written = current.written + UInt64(count)
        guard written <= entries[current.index].size else {
            throw DatasetError("\(path): entry \(String(decoding: entries[current.index].name, as: UTF8.self)) got more than its declared \(entries[current.index].size) bytes")
        }
        try bytes.withUnsafeBytes { try emit($0) }
        open = (current.index, written, crc)
    }

    /// Closes the open entry, checking its size and writing its CRC-32 into the local header.
    public func endEntry() throws {
        guard let current = open, let handle else { preconditionFailure("zip endEntry without an open entry") }
        let entry = entries[current.index]
        guard current.written == entry.size else {
            throw DatasetError("\(path): entry \(String(decoding: entry.name, as: UTF8.self)) got \(current.written) bytes, declared \(entry.size)")
        }
        entries[current.index].crc = current.crc
        do {
            try handle.seek(toOffset: entry.offset + 14)
            var crc = [UInt8]()
            Self.append(UInt32(current.crc), to: &crc)
            try handle.write(contentsOf: crc)
            try handle.seek(toOffset: position)
        } catch {
            throw DatasetError("cannot write \(temporaryPath): \(error.localizedDescription)")
        }
        open = nil
    }

    /// Adds a whole entry at once.
    public func addEntry(_ name: String, bytes: [UInt8]) throws {
        try beginEntry(name, size: bytes.count)
        try write(bytes)
        try endEntry()
    }

    /// Writes the central directory and end records, then moves the archive to its path.
    public func finish() throws {
        precondition(open == nil, "zip finish with an entry still open")
        guard let handle else { preconditionFailure("zip archive finished twice") }
        let directoryStart = position
        for entry in entries { try emit(centralHeader(entry)) }
        let directorySize = position - directoryStart
        var end: [UInt8] = []
        let needs64 = entries.count >= 0xFFFF || directoryStart >= zip64Threshold || directorySize >= zip64Threshold
        if needs64 {
            let recordStart = position
            Self.append(UInt32(0x0606_4b50), to: &end)
            Self.append(UInt64(44), to: &end)               // size of the rest of this record
            Self.append(UInt16(45), to: &end)               // version made by
            Self.append(UInt16(45), to: &end)               // version needed
            Self.append(UInt32(0), to: &end)                // this disk
            Self.append(UInt32(0), to: &end)                // disk holding the directory
            Self.append(UInt64(entries.count), to: &end)
            Self.append(UInt64(entries.count), to: &end)
            Self.append(directorySize, to: &end)
            Self.append(directoryStart, to: &end)
            Self.append(UInt32(0x0706_4b50), to: &end)      // Zip64 end locator
            Self.append(UInt32(0), to: &end)
            Self.append(recordStart, to: &end)
            Self.append(UInt32(1), to: &end)
        }
        Self.append(UInt32(0x0605_4b50), to: &end)
        Self.append(UInt16(0), to: &end)
        Self.append(UInt16(0), to: &end)
        Self.append(UInt16(needs64 ? 0xFFFF : UInt16(entries.count)), to: &end)
        Self.append(UInt16(needs64 ? 0xFFFF : UInt16(entries.count)), to: &end)
        Self.append(needs64 ? UInt32.max : UInt32(directorySize), to: &end)
        Self.append(needs64 ? UInt32.max : UInt32(directoryStart), to: &end)
        Self.append(UInt16(0), to: &end)                    // comment length
        try emit(end)
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw DatasetError("cannot write \(temporaryPath): \(error.localizedDescription)")
        }
        self.handle = nil
        guard rename(temporaryPath, path) == 0 else {
            unlink(temporaryPath)
            throw DatasetError("cannot move \(temporaryPath) to \(path): errno \(errno)")
        }
    }

    private func emit(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try emit($0) } }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        guard let handle else { preconditionFailure("zip archive already finished") }
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw DatasetError("cannot write \(temporaryPath): \(error.localizedDescription)")
        }
        position += UInt64(bytes.count)
    }

    /// Local file header; the CRC (offset 14) is patched later.
    private func localHeader(_ entry: Entry) -> [UInt8] {
        var out: [UInt8] = []
        Self.append(UInt32(0x0403_4b50), to: &out)
        Self.append(UInt16(entry.zip64 ? 45 : 20), to: &out)
        Self.append(UInt16(0), to: &out)                    // flags
        Self.append(UInt16(0), to: &out)                    // stored
        Self.append(UInt16(0), to: &out)                    // time 00:00:00
        Self.append(UInt16(0x21), to: &out)                 // date 1980-01-01
        Self.append(UInt32(0), to: &out)                    // CRC-32, patched by endEntry
        Self.append(entry.zip64 ? UInt32.max : UInt32(entry.size), to: &out)
        Self.append(entry.zip64 ? UInt32.max : UInt32(entry.size), to: &out)
        Self.append(UInt16(entry.name.count), to: &out)
        Self.append(UInt16(entry.zip64 ? 20 : 0), to: &out)
        out += entry.name
        if entry.zip64 {
            Self.append(UInt16(1), to: &out)
            Self.append(UInt16(16), to: &out)
            Self.append(entry.size, to: &out)
            Self.append(entry.size, to: &out)
        }
        return out
    }

    /// Central directory header of one entry.
    private func centralHeader(_ entry: Entry) -> [UInt8] {
        let bigOffset = entry.offset >= zip64Threshold
        var extra: [UInt8] = []
        if entry.zip64 {
            Self.append(entry.size, to: &extra)
            Self.append(entry.size, to: &extra)
        }
        if bigOffset { Self.append(entry.offset, to: &extra) }
        if !extra.isEmpty { extra = [1, 0, UInt8(extra.count), 0] + extra }
        var out: [UInt8] = []
        Self.append(UInt32(0x0201_4b50), to: &out)
        Self.append(UInt16(0x0300 | 45), to: &out)          // made by: Unix, spec 4.5
        Self.append(UInt16(entry.zip64 || bigOffset ? 45 : 20), to: &out)
        Self.append(UInt16(0), to: &out)
        Self.append(UInt16(0), to: &out)
        Self.append(UInt16(0), to: &out)
        Self.append(UInt16(0x21), to: &out)
        Self.append(entry.crc, to: &out)
        Self.append(entry.zip64 ? UInt32.max : UInt32(entry.size), to: &out)
        Self.append(entry.zip64 ? UInt32.max : UInt32(entry.size), to: &out)
        Self.append(UInt16(entry.name.count), to: &out)
        Self.append(UInt16(extra.count), to: &out)
        Self.append(UInt16(0), to: &out)                    // comment length
        Self.append(UInt16(0), to: &out)                    // disk number
        Self.append(UInt16(0), to: &out)                    // internal attributes
        Self.append(UInt32(0o100644) << 16, to: &out)       // external attributes: regular file, rw-r--r--
        Self.append(bigOffset ? UInt32.max : UInt32(entry.offset), to: &out)
        out += entry.name
        out += extra
        return out
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}
