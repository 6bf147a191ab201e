import Foundation
import Torch
import ZIPFoundation

/// Writes a zip archive of stored entries with ZIPFoundation into a temporary file that replaces
/// the target only once complete, read back and synced; dropped unfinished, it removes the file.
final class ZipArchiveWriter: @unchecked Sendable {
    /// The file being written.
    let path: String
    private let temporary: String
    private var archive: Archive?
    private var written: [(name: String, size: UInt64)] = []
    /// Entries are dated 1980-01-01 00:00, the zip epoch, so that the same arrays give the same bytes.
    static let modificationDate = Date(timeIntervalSince1970: 315_532_800)
    /// Bytes handed to ZIPFoundation per provider call.
    static let bufferSize = 1 << 20

    /// Starts an empty archive for `path`; throws when the folder cannot take a new file.
    init(path: String) throws {
        self.path = path
        temporary = AtomicFile.temporaryPath(for: path)
        // ZIPFoundation's error for a folder that cannot take the file does not say why: try it here first.
        let probe = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard probe >= 0 else {
            throw DatasetError("cannot write \(path): cannot create a file in \(AtomicFile.folderOf(path)): \(FileWriter.systemMessage(errno))")
        }
        close(probe)
        unlink(temporary)
        do {
            archive = try Archive(url: URL(fileURLWithPath: temporary), accessMode: .create, pathEncoding: nil)
        } catch {
            let code = errno
            unlink(temporary)
            throw Self.writeError(path, error, code)
        }
    }

    deinit { discard() }

    /// Drops an unfinished archive, removing its temporary file (nothing once committed).
    func discard() {
        guard archive != nil else { return }
        archive = nil
        unlink(temporary)
    }

    /// Adds a stored entry of `size` bytes, which `provider(offset, count)` hands over in order, `count` at a time.
    func add(_ name: String, size: Int, provider: @escaping (Int, Int) throws -> Data) throws {
        guard let archive else { preconditionFailure("zip entry \(name) added to a finished archive") }
        do {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(size), modificationDate: Self.modificationDate,
                                 compressionMethod: .none, bufferSize: Self.bufferSize,
                                 provider: { position, count in try provider(Int(position), count) })
        } catch let error as DatasetError {
            throw error
        } catch {
            throw Self.writeError(path, error, errno)
        }
        written.append((name, UInt64(size)))
    }

    /// Adds a stored entry holding `bytes`.
    func add(_ name: String, bytes: [UInt8]) throws {
        try add(name, size: bytes.count) { offset, count in Data(bytes[offset..<(offset + count)]) }
    }

    /// Closes the archive, checks it, and moves it to `path`.
    func commit() throws {
        precondition(archive != nil, "zip archive \(path) committed twice")
        // ZIPFoundation ignores the results of its last flush and of closing the file, so the archive
        // is read back: bytes lost there (a full disk) show as a missing end record or short entries.
        archive = nil
        do {
            let reader = try ZipReader(path: temporary)
            guard reader.entries.map(\.name) == written.map(\.name), reader.entries.map(\.size) == written.map(\.size) else {
                throw DatasetError("entries differ")
            }
            for entry in reader.entries { _ = try reader.storedRange(of: entry) }
        } catch {
            unlink(temporary)
            throw DatasetError("cannot write \(path): the archive came out incomplete (is the disk full?)")
        }
        do {
            try AtomicFile.commit(temporary, to: path)
        } catch let error as TorchError {
            throw DatasetError(error.message)
        }
    }

    /// "cannot write PATH: <system message>" for a ZIPFoundation failure, from the `errno` it left.
    static func writeError(_ path: String, _ error: any Error, _ code: Int32) -> DatasetError {
        if let posix = error as? POSIXError {
            return DatasetError("cannot write \(path): \(FileWriter.systemMessage(posix.code.rawValue))")
        }
        return DatasetError("cannot write \(path): \(code != 0 ? FileWriter.systemMessage(code) : "\(error)")")
    }
}
