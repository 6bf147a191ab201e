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

extension MappedFile {
    /// Tells the kernel that the mapped pages under `slice` are no longer needed, so that they stop
    /// counting in the process's resident memory (they are read again from the file if touched).
    /// For bytes that are not a file mapping this does nothing harmful: only whole pages strictly
    /// inside the slice are advised, and private anonymous memory is not passed here.
    public static func release(_ slice: Data) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        slice.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count >= page else { return }
            let start = (Int(bitPattern: base) + page - 1) / page * page
            let end = (Int(bitPattern: base) + raw.count) / page * page
            guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(pointer, end - start, Int32(MADV_DONTNEED))
        }
    }
}
