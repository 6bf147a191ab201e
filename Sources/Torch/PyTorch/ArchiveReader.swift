import CTorch
import Foundation

/// Reads the entries of a `torch.save` zip through `ZipReader`, checking sizes before allocating.
///
/// Storages are stored (uncompressed) entries: their bytes are a slice of the mapped file, copied
/// once into their tensor a chunk at a time, each chunk's mapped pages released once copied. A
/// checkpoint therefore costs its tensors' memory plus one chunk of the file, not a second copy of
/// the file, nor of its largest storage (DiMR-XL/2R has one of 295 MB, DiMR-G/2R of 616 MB).
struct ArchiveReader {
    let zip: ZipReader
    /// Whether the archive is a file mapping whose pages may be released after use.
    let isMapped: Bool
    let what: String
    /// Bytes of a mapped storage copied before their pages are released.
    var copyChunk = ArchiveReader.defaultCopyChunk
    /// The default `copyChunk`: large enough that the copies run at memory speed.
    static let defaultCopyChunk = 8 << 20

    /// The largest `data.pkl` read (a state dict's pickle is kilobytes to a few megabytes).
    static let pickleLimit = 256 << 20

    private func fail(_ why: String) -> TorchError { TorchError("\(what): \(why)") }

    /// The `<folder>/data.pkl` entry and its folder prefix (`"<folder>/"`, or `""` at the top).
    func findPickle() throws -> (prefix: String, entry: ZipReader.Entry) {
        var found: [(String, ZipReader.Entry)] = []
        for entry in zip.entries {
            let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            if parts.last == "data.pkl", parts.count <= 2 {
                found.append((parts.count == 2 ? "\(parts[0])/" : "", entry))
            }
        }
        guard let first = found.first else {
            throw fail("no data.pkl in the archive: not a PyTorch checkpoint (torch.save writes <name>/data.pkl)")
        }
        guard found.count == 1 else { throw fail("\(found.count) data.pkl entries in the archive; expected one") }
        return first
    }

    /// The pickle's bytes (inflated if a tool recompressed the archive), at most `pickleLimit`.
    func pickle(_ entry: ZipReader.Entry) throws -> [UInt8] {
        guard entry.size <= UInt64(Self.pickleLimit) else {
            throw fail("data.pkl declares \(entry.size) bytes, more than the \(Self.pickleLimit) allowed")
        }
        return try zip.contents(of: entry, inflateLimit: Self.pickleLimit)
    }

    /// The storage `data/<key>` as a 1-D tensor of its element type.
    func storage(_ storage: PickleStorage, prefix: String) throws -> Tensor {
        let name = "\(prefix)data/\(storage.key)"
        guard let entry = zip.entries.first(where: { $0.name == name }) else {
            throw fail("storage \(storage.key) is missing (no entry \(name))")
        }
        let (count, overflow) = storage.count.multipliedReportingOverflow(by: storage.dtype.byteSize)
        guard !overflow, UInt64(count) <= entry.size else {
            throw fail("storage \(storage.key) should hold \(storage.count) \(storage.dtype) elements"
                       + " but its entry has \(entry.size) bytes (truncated?)")
        }
        if entry.method == 0, isMapped {
            return try copyReleasing(zip.storedData(of: entry), entry: entry, storage: storage, byteCount: count)
        }
        if entry.method == 0 {
            let bytes = try zip.checkedStoredData(of: entry)
            return try bytes.prefix(count).withUnsafeBytes { try Tensor.fromBytes($0, shape: [storage.count], dtype: storage.dtype) }
        }
        // torch.save writes each storage's bytes exactly: a deflated entry declaring more is inflated no further
        // than the storage needs (a small file could otherwise inflate to the 16 GiB limit before failing).
        let bytes = try zip.contents(of: entry, inflateLimit: count)
        return try bytes.prefix(count).withUnsafeBytes { try Tensor.fromBytes($0, shape: [storage.count], dtype: storage.dtype) }
    }

    /// The first `byteCount` bytes of `bytes` (a stored entry, a slice of the file mapping) as a tensor,
    /// copied `copyChunk` bytes at a time straight into the tensor's memory, each chunk's pages released
    /// once copied (and those the kernel mapped around it), the CRC-32 of the whole entry checked at the end.
    ///
    /// - Throws: `TorchError` naming the file and the storage when the CRC-32 does not match.
    private func copyReleasing(_ bytes: Data, entry: ZipReader.Entry, storage: PickleStorage, byteCount: Int) throws -> Tensor {
        let tensor = try Tensor.empty([storage.count], dtype: storage.dtype)
        // A fresh contiguous CPU tensor of byteCount bytes; libtorch has no pointer for an empty one.
        let destination: UnsafeMutableRawPointer? = byteCount > 0 ? ct_data_ptr(tensor.handle) : nil
        if byteCount > 0, destination == nil { throw TorchError.last() }
        let step = Swift.max(copyChunk, 1)
        var crc: UInt32 = 0
        var offset = 0
        while offset < bytes.count {
            let end = Swift.min(offset + step, bytes.count)
            let chunk = bytes[(bytes.startIndex + offset)..<(bytes.startIndex + end)]
            crc = Zlib.crc32(chunk, continuing: crc)
            if offset < byteCount, let destination {
                let n = Swift.min(end, byteCount) - offset
                chunk.withUnsafeBytes { source in
                    if let base = source.baseAddress { (destination + offset).copyMemory(from: base, byteCount: n) }
                }
            }
            MappedFile.release(chunk, ofMapping: zip.data)
            offset = end
        }
        guard crc == entry.crc else {
            throw fail("storage \(storage.key) (entry \(entry.name)): CRC mismatch (stored \(entry.crc), computed \(crc))")
        }
        return tensor
    }
}
