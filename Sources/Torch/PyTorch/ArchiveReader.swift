import CTorch
import Foundation
import ZIPFoundation

/// Reads the entries of a `torch.save` zip with ZIPFoundation, checking sizes before allocating.
struct ArchiveReader {
    let archive: Archive
    /// Size of the whole archive in bytes: no entry can hold more than this stored.
    let fileSize: UInt64
    let what: String

    /// The largest `data.pkl` read (a state dict's pickle is kilobytes to a few megabytes).
    static let pickleLimit: UInt64 = 256 << 20
    /// Bytes per read when copying a storage into its tensor.
    static let chunkSize = 1 << 20

    private func fail(_ why: String) -> TorchError { TorchError("\(what): \(why)") }

    /// The `<folder>/data.pkl` entry and its folder prefix (`"<folder>/"`, or `""` at the top).
    func findPickle() throws -> (prefix: String, entry: Entry) {
        var found: [(String, Entry)] = []
        for entry in archive where entry.type == .file {
            let parts = entry.path.split(separator: "/", omittingEmptySubsequences: false)
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

    /// The bytes of `entry`, refusing entries that declare more than `limit`.
    func read(_ entry: Entry, limit: UInt64, name: String) throws -> [UInt8] {
        try checkSize(entry, name: name)
        guard entry.uncompressedSize <= limit else {
            throw fail("\(name) declares \(entry.uncompressedSize) bytes, more than the \(limit) allowed")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, bufferSize: Self.chunkSize) { chunk in
                guard UInt64(bytes.count + chunk.count) <= entry.uncompressedSize else { throw ArchiveReadOverrun() }
                bytes.append(contentsOf: chunk)
            }
        } catch {
            throw fail("cannot read \(name) from the archive (truncated or corrupt: \(Self.describe(error)))")
        }
        guard UInt64(bytes.count) == entry.uncompressedSize else {
            throw fail("\(name) holds \(bytes.count) bytes, its directory entry says \(entry.uncompressedSize)")
        }
        return bytes
    }

    /// The storage `data/<key>` as a 1-D tensor of its element type.
    func storage(_ storage: PickleStorage, prefix: String) throws -> Tensor {
        let name = "\(prefix)data/\(storage.key)"
        guard let entry = archive[name] else {
            throw fail("storage \(storage.key) is missing (no entry \(name))")
        }
        try checkSize(entry, name: name)
        let (bytes, overflow) = storage.count.multipliedReportingOverflow(by: storage.dtype.byteSize)
        guard !overflow, UInt64(bytes) <= entry.uncompressedSize else {
            throw fail("storage \(storage.key) should hold \(storage.count) \(storage.dtype) elements"
                       + " but its entry has \(entry.uncompressedSize) bytes (truncated?)")
        }
        let tensor = try Tensor.empty([storage.count], dtype: storage.dtype)
        guard bytes > 0 else { return tensor }
        guard let base = ct_data_ptr(tensor.handle) else { throw TorchError.last() }
        var written = 0
        do {
            _ = try archive.extract(entry, bufferSize: Self.chunkSize) { chunk in
                let take = min(chunk.count, bytes - written)
                if take > 0 {
                    chunk.withUnsafeBytes { source in
                        if let start = source.baseAddress { base.advanced(by: written).copyMemory(from: start, byteCount: take) }
                    }
                    written += take
                }
            }
        } catch {
            throw fail("cannot read storage \(storage.key) (truncated or corrupt: \(Self.describe(error)))")
        }
        guard written == bytes else {
            throw fail("storage \(storage.key) holds \(written) bytes, \(bytes) needed")
        }
        return tensor
    }

    /// Refuses entries whose declared sizes the archive cannot hold: stored data larger than the file,
    /// or deflated data that would have to expand more than deflate can (1032:1).
    private func checkSize(_ entry: Entry, name: String) throws {
        guard entry.compressedSize <= fileSize else {
            throw fail("\(name) claims \(entry.compressedSize) stored bytes in a file of \(fileSize)")
        }
        let (bound, overflow) = entry.compressedSize.multipliedReportingOverflow(by: 1032)
        guard entry.uncompressedSize <= (entry.isCompressed ? (overflow ? .max : bound + 1024) : entry.compressedSize) else {
            throw fail("\(name) claims \(entry.uncompressedSize) bytes from \(entry.compressedSize) stored: impossible")
        }
    }

    private static func describe(_ error: Error) -> String {
        if error is ArchiveReadOverrun { return "more data than its directory entry declares" }
        return String(describing: error)
    }
}

/// Thrown from an extraction callback when an entry yields more bytes than it declared.
private struct ArchiveReadOverrun: Error {}
