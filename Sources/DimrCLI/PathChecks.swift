import ArgumentParser
import Datasets
import Foundation
import Pipeline
import Torch

/// Checks of the files a command reads and writes, run by the commands' `validate()` before any work: an
/// output must not be one of the inputs (an atomic write would replace it), nor another output, and must be
/// a file that can be created in an existing, writable folder.
enum PathChecks {
    /// A path given on the command line and the option (or argument) that named it.
    struct Named {
        /// How messages name it: `--output`, `MODEL`, `the Fashion-MNIST file`.
        let option: String
        /// The path as given.
        let path: String
    }

    /// `path` made absolute, with `.`, `..` and symbolic links of its folders resolved (and of the file itself
    /// when it exists); the path as given, made absolute, when its folder does not exist.
    static func resolved(_ path: String) -> String {
        if let full = realPath(path) { return full }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if let folder = realPath(url.deletingLastPathComponent().path) {
            return (folder == "/" ? "" : folder) + "/" + url.lastPathComponent
        }
        return url.path
    }

    /// Whether `a` and `b` name the same file: the same resolved path, or, when both exist, the same
    /// (device, inode) (hard links, symbolic links, bind mounts).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        if resolved(a) == resolved(b) { return true }
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Refuses an output that is the same file as an input or as another output: "--output is the same file
    /// as --samples (PATH)".
    static func distinct(outputs: [Named], inputs: [Named]) throws {
        for (index, output) in outputs.enumerated() {
            for other in outputs[..<index] where sameFile(output.path, other.path) {
                throw ValidationError("\(output.option) is the same file as \(other.option) (\(output.path)): give them different paths")
            }
            for input in inputs where sameFile(output.path, input.path) {
                throw ValidationError("\(output.option) is the same file as \(input.option) (\(input.path)): writing it would destroy the input; "
                                      + "give \(output.option) another path")
            }
        }
    }

    /// Checks that a file can be written at `path`: its folder exists, is a folder and is writable, and `path`
    /// is not a folder nor anything but a regular file (a device, a pipe: the atomic write would replace it).
    static func outputFile(_ path: String, option: String) throws {
        guard !path.isEmpty else { throw ValidationError("\(option) is empty") }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard !isFolder.boolValue else { throw ValidationError("\(option) \(path) is a folder: give a file path") }
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
                throw ValidationError("\(option) \(path) exists and is not a regular file")
            }
        }
        let folder = AtomicFile.folderOf(path)
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw ValidationError("\(option) \(path): the folder \(folder) does not exist")
        }
        guard isFolder.boolValue else { throw ValidationError("\(option) \(path): \(folder) is not a folder") }
        guard access(folder, W_OK | X_OK) == 0 else {
            throw ValidationError("\(option) \(path): cannot write in the folder \(folder): \(String(cString: strerror(errno)))")
        }
    }

    /// The Fashion-MNIST IDX files present in the folder `dataDir` resolves to (see `FashionMNIST.resolveDirectory`).
    static func fashionMNISTFiles(dataDir: String?) -> [Named] {
        FashionMNIST.filePaths(directory: FashionMNIST.resolveDirectory(dataDir))
            .filter { FileManager.default.fileExists(atPath: $0) }
            .map { Named(option: "the Fashion-MNIST file", path: $0) }
    }

    /// The existing files among `paths` (nil entries and `fashion-mnist:` sources left out), for `distinct`.
    static func inputs(_ paths: [(String, String?)]) -> [Named] {
        paths.compactMap { option, path in
            guard let path, !path.hasPrefix("fashion-mnist:"), FileManager.default.fileExists(atPath: path) else { return nil }
            return Named(option: option, path: path)
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
