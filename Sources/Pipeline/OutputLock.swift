import Foundation

/// An exclusive lock on an output folder, so that two `dimr` runs never write the same checkpoints,
/// metrics or images.
///
/// The lock is `flock` on `FOLDER/.dimr.lock`, which also records the holder (pid, host, start time,
/// command). The kernel drops a `flock` when its process ends, however it ends, so the lock of a
/// killed run is taken over by the next one without any clean-up; the file itself stays.
public final class OutputLock {
    /// The lock file's name inside the folder.
    public static let fileName = ".dimr.lock"

    /// The locked folder.
    public let folder: String
    private var descriptor: Int32

    /// Takes the lock of `folder` (which must exist) for `command` (e.g. `dimr train`).
    /// - Throws: `PipelineError` naming the holder when another process holds it, or the reason the lock
    ///   file cannot be opened.
    public init(folder: String, command: String) throws {
        self.folder = folder
        let path = "\(folder)/\(Self.fileName)"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PipelineError("cannot create the lock file \(path): \(FileErrors.lastReason)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? nil : FileErrors.lastReason
            let holder = Self.readHolder(descriptor)
            close(descriptor)
            if let reason { throw PipelineError("cannot lock output folder \(folder): \(reason)") }
            throw PipelineError("output folder \(folder) is in use by another run (\(holder)); "
                                + "wait for it to end or choose another output folder")
        }
        let host = ProcessInfo.processInfo.hostName
        let started = ISO8601DateFormatter().string(from: Date())
        let record = "pid \(getpid()) on host \(host), started \(started): \(command)\n"
        ftruncate(descriptor, 0)
        _ = record.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit { release() }

    /// Releases the lock (also done when the process ends).
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    /// Removes `folder` when it holds nothing but a lock file no process holds and empty folders: what a run
    /// that was refused after creating its output folder leaves. Anything else, and a held lock, stay. Returns
    /// whether it removed the folder.
    @discardableResult
    public static func removeIfUnused(_ folder: String) -> Bool {
        let files = FileManager.default
        guard holder(of: folder) == nil, let enumerator = files.enumerator(atPath: folder) else { return false }
        while let item = enumerator.nextObject() as? String {
            var isFolder: ObjCBool = false
            guard files.fileExists(atPath: folder + "/" + item, isDirectory: &isFolder) else { return false }
            if !isFolder.boolValue && item != fileName { return false }
        }
        return (try? files.removeItem(atPath: folder)) != nil
    }

    /// The holder (as recorded in its lock file) of the lock of `folder` while a running process holds it,
    /// else nil. Only looks: creates no lock file, and a folder several readers probe at once stays free.
    public static func holder(of folder: String) -> String? {
        let fd = open("\(folder)/\(fileName)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK ? readHolder(fd) : nil }
        flock(fd, LOCK_UN)
        return nil
    }

    /// The holder recorded in the lock file, or a note that it is unknown.
    private static func readHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return "holder not recorded yet" }
        return String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
