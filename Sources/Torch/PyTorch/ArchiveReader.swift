import Foundation

/// Reads the entries of a `torch.save` zip through `ZipReader`, checking sizes before allocating.
///
/// Storages are stored (uncompressed) entries: their bytes are a slice of the mapped file, copied
/// once into their tensor, after which the mapped pages are released. A checkpoint therefore costs
/// its tensors' memory plus one storage at a time, not a second copy of the file.
struct ArchiveReader {
    let zip: ZipReader
    /// Whether the archive is a file mapping whose pages may be released after use.
    let isMapped: Bool
    let what: String

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
        if entry.method == 0 {
            let bytes = try zip.checkedStoredData(of: entry)
            defer { if isMapped { MappedFile.release(bytes) } }
            return try bytes.prefix(count).withUnsafeBytes { try Tensor.fromBytes($0, shape: [storage.count], dtype: storage.dtype) }
        }
        let bytes = try zip.contents(of: entry)
        return try bytes.prefix(count).withUnsafeBytes { try Tensor.fromBytes($0, shape: [storage.count], dtype: storage.dtype) }
    }
}
