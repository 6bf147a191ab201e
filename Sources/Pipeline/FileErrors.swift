import Foundation

/// File-system operations of the pipeline with errors in plain words ("cannot create folder runs/x: Permission
/// denied"), never a framework's error domain and code.
public enum FileErrors {
    /// The reason of `error` in plain words: the operating system's reason (`strerror`) when Foundation wraps one,
    /// the message of the project's own errors, else the localized description.
    public static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
            case .fileWriteNoPermission, .fileReadNoPermission: return String(cString: strerror(EACCES))
            case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
            case .fileWriteFileExists: return String(cString: strerror(EEXIST))
            case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
            default: break
            }
        }
        return ns.domain == NSCocoaErrorDomain ? ns.localizedDescription : "\(error)"
    }

    /// The last `errno` in plain words.
    static var lastReason: String { String(cString: strerror(errno)) }

    /// Creates `path` and its parents when missing.
    /// - Throws: `PipelineError` "cannot create folder PATH: REASON".
    public static func createFolder(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw PipelineError("cannot use \(path) as a folder: it is a file") }
            return
        }
        // mkdir -p by hand: Foundation's error does not always carry the operating system's reason.
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw PipelineError("cannot create folder \(path): \(lastReason)")
            }
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw PipelineError("cannot create folder \(path): \(String(cString: strerror(ENOTDIR)))")
        }
    }

    /// Checks that files can be created in the existing folder `path` by creating and removing a probe file.
    /// - Throws: `PipelineError` "cannot write in folder PATH: REASON".
    public static func checkWritable(folder path: String) throws {
        let probe = "\(path)/.dimr-write-test-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw PipelineError("cannot write in folder \(path): \(lastReason)") }
        close(fd)
        unlink(probe)
    }

    /// Removes the temporary files (`.NAME.tmp-PID`, the pattern of the project's atomic writers) that a writer
    /// killed before renaming them left in `folder`, when process PID no longer runs. Returns the names removed.
    @discardableResult
    public static func removeStaleTemporaries(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var removed: [String] = []
        for name in names where name.hasPrefix(".") {
            // Writers name them `.NAME.tmp-PID` or `.NAME.tmp-PID-N`.
            guard let mark = name.range(of: ".tmp-", options: .backwards),
                  let field = name[mark.upperBound...].split(separator: "-").first,
                  let pid = Int32(field), pid > 0 else { continue }
            let alive = pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
            if !alive, unlink("\(folder)/\(name)") == 0 { removed.append(name) }
        }
        return removed.sorted()
    }
}
