import Foundation

/// Atomic file replacement: write a temporary file beside the target, fsync, rename, fsync the folder.
///
/// A crash or a failed write leaves either the old file or the new one, never a mix; on failure the
/// temporary file is removed and the error names the target in plain words ("cannot write PATH:
/// No space left on device"). Temporary files are named `.NAME.tmp-PID-N`, so that files left by a
/// killed process can be found and removed by `removeStaleTemporaryFiles(in:)`.
public enum AtomicFile {
    /// Writes `path` through `body`, which receives a writer on the temporary file.
    public static func write(to path: String, _ body: (FileWriter) throws -> Void) throws {
        try replace(path) { temporary in
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw creationError(path, errno) }
            var open = true
            defer { if open { close(fd) } }
            try body(FileWriter(descriptor: fd, name: path))
            guard fsync(fd) == 0 else { throw TorchError("cannot write \(path): \(FileWriter.systemMessage(errno))") }
            open = false
            guard close(fd) == 0 else { throw TorchError("cannot write \(path): \(FileWriter.systemMessage(errno))") }
        }
    }

    /// Replaces `path` with the file that `body` creates at the temporary path it is given.
    ///
    /// `body` must create that file (it does not exist yet) and close it; it is then synced to disk
    /// and renamed over `path`. When `body` or any step throws, the temporary file is removed.
    public static func replace(_ path: String, _ body: (String) throws -> Void) throws {
        let temporary = temporaryPath(for: path)
        do {
            try body(temporary)
        } catch {
            unlink(temporary)
            throw error
        }
        try commit(temporary, to: path)
    }

    /// Syncs the finished file `temporary` to disk and renames it over `path`, then syncs the folder.
    ///
    /// On failure `temporary` is removed and the error names `path`.
    public static func commit(_ temporary: String, to path: String) throws {
        do {
            let fd = open(temporary, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw TorchError("cannot write \(path): \(FileWriter.systemMessage(errno))") }
            let synced = fsync(fd) == 0 ? 0 : errno
            close(fd)
            guard synced == 0 else { throw TorchError("cannot write \(path): \(FileWriter.systemMessage(synced))") }
            guard rename(temporary, path) == 0 else {
                throw TorchError("cannot replace \(path): \(FileWriter.systemMessage(errno))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        let folder = open(folderOf(path), O_RDONLY | O_CLOEXEC)
        if folder >= 0 { fsync(folder); close(folder) }
    }

    /// Removes temporary files in `folder` left by writers that are no longer running; returns their names.
    @discardableResult
    public static func removeStaleTemporaryFiles(in folder: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(".") {
            guard let marker = name.range(of: ".tmp-", options: .backwards),
                  let pid = name[marker.upperBound...].split(separator: "-").first.flatMap({ Int32($0) }), pid > 0
            else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH, unlink("\(folder)/\(name)") == 0 { removed.append(name) }
        }
        return removed
    }

    /// A fresh temporary path beside `path`: `.NAME.tmp-PID-N`, N random.
    public static func temporaryPath(for path: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        return "\(folderOf(path))/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// The folder holding `path`.
    public static func folderOf(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    private static func creationError(_ path: String, _ code: Int32) -> TorchError {
        TorchError("cannot write \(path): cannot create a file in \(folderOf(path)): \(FileWriter.systemMessage(code))")
    }
}
