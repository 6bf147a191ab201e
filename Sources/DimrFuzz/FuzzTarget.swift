import Datasets
import Foundation
import Torch

/// A reader of user files that the fuzzer feeds with arbitrary bytes.
///
/// `run` hands the bytes to the reader the way `dimr` does (from a file where the reader takes a
/// path) and reads everything the reader exposes. A thrown error is the right outcome for bad input;
/// a trap, an abort or an allocation failure is a bug, which the fuzzer reports and `make test`
/// replays from `Tests/FuzzCorpus/<target>/`.
enum FuzzTarget: String, CaseIterable, Sendable {
    case safetensors
    case png
    case jpeg
    case npy
    case npz
    case idx
    case pth
    case pickle

    /// Feeds `bytes` to the reader; returns a one-line outcome (for the replay tool).
    @discardableResult
    func run(_ bytes: [UInt8]) -> String {
        do {
            switch self {
            case .safetensors:
                try FuzzFile.with(bytes, suffix: ".safetensors") { path in
                    let file = try SafeTensorsFile(path: path)
                    _ = try file.tensors()
                }
            case .png:
                _ = try PNG.decode(bytes)
            case .jpeg:
                _ = try JPEG.decode(bytes)
            case .pth:
                for (_, tensor) in try PyTorchCheckpoint(data: Data(bytes)).tensors { _ = try tensor.sum() }
            case .pickle:
                _ = try PyTorchCheckpoint.unpickle(bytes)
            case .npy:
                _ = try NPYArray(parsing: bytes).tensor()
            case .npz:
                try FuzzFile.with(bytes, suffix: ".npz") { path in
                    for array in try NPZ.read(path).values { _ = try array.tensor() }
                }
            case .idx:
                // Plain and gzip-compressed IDX go through the same entry point as Fashion-MNIST's files.
                try FuzzFile.with(bytes, suffix: ".idx") { path in _ = try IDXArray(contentsOf: path) }
            }
            return "accepted"
        } catch {
            return "refused: \(error)"
        }
    }
}

/// A temporary file holding the fuzzer's bytes, for readers that take a path.
enum FuzzFile {
    /// One file per process, rewritten for every input (the fuzzer runs inputs one at a time).
    private static let path: String = {
        let folder = ProcessInfo.processInfo.environment["DIMR_FUZZ_TMP"]
            ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        return (folder as NSString).appendingPathComponent("dimr-fuzz-\(getpid())")
    }()

    static func with(_ bytes: [UInt8], suffix: String, _ body: (String) throws -> Void) throws {
        let file = path + suffix
        guard FileManager.default.createFile(atPath: file, contents: Data(bytes)) else {
            throw DatasetError("cannot write the fuzzer's temporary file \(file)")
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        try body(file)
    }
}
