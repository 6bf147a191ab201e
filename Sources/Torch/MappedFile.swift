import Foundation

/// Read-only views of whole files, mapped into memory rather than copied.
public enum MappedFile {
    /// The bytes of the regular file at `path`, mapped read-only.
    ///
    /// Throws "cannot read PATH: <reason>" in plain words (missing file, a folder, no permission).
    public static func read(_ path: String) throws -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TorchError("cannot read \(path): \(FileWriter.systemMessage(errno))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw TorchError("cannot read \(path): \(FileWriter.systemMessage(errno))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw TorchError("cannot read \(path): \(info.st_mode & S_IFMT == S_IFDIR ? "it is a folder" : "not a regular file")")
        }
        guard let size = Int(exactly: info.st_size), size > 0 else { return Data() }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw TorchError("cannot read \(path): \(FileWriter.systemMessage(errno))")
        }
        return Data(bytesNoCopy: base, count: size, deallocator: .custom { pointer, count in munmap(pointer, count) })
    }
}
