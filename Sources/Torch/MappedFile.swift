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

extension MappedFile {
    /// The kernel's default fault-around window: a read fault in a file mapping maps up to this many bytes
    /// of already cached neighbouring pages, before and after the page touched.
    public static let faultAroundBytes = 64 << 10

    /// Releases the pages of the file mapping `mapping` under `slice` and up to `margin` bytes on either
    /// side, rounded outward to whole pages and clamped to `mapping`, so that they stop counting in the
    /// resident memory. Unlike `release(_:)` this also drops the pages that `slice` shares with its
    /// neighbours and those the kernel's fault-around mapped next to it, which `release` leaves behind
    /// when a file is read in many consecutive slices.
    ///
    /// - Precondition: `mapping` is a read-only file mapping (from `read(_:)`) and `slice` lies inside it:
    ///   released pages are read again from the file when touched, whereas anonymous memory would be zeroed.
    public static func release(_ slice: Data, ofMapping mapping: Data, margin: Int = faultAroundBytes) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0, margin >= 0 else { return }
        mapping.withUnsafeBytes { whole in
            slice.withUnsafeBytes { part in
                guard let wholeBase = whole.baseAddress, let partBase = part.baseAddress else { return }
                let lower = Int(bitPattern: wholeBase), upper = lower + whole.count
                let from = Int(bitPattern: partBase), to = from + part.count
                precondition(from >= lower && to <= upper, "MappedFile.release: the slice is outside the mapping")
                // mmap maps whole pages from a page boundary, so rounding outward stays inside the mapping.
                let start = (from - Swift.min(margin, from - lower)) / page * page
                let end = (Swift.min(to + margin, upper) + page - 1) / page * page
                guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
                _ = madvise(pointer, end - start, Int32(MADV_DONTNEED))
            }
        }
    }
}
