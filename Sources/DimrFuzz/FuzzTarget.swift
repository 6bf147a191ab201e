import Datasets
import Foundation
import Serve
import Torch

/// A reader of user files (or of what a client sends `dimr serve`) that the fuzzer feeds with arbitrary bytes.
///
/// `run` hands the bytes to the reader's in-memory entry point (the same parsing as from a file) and
/// reads everything the reader exposes. A thrown error is the right outcome for bad input;
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
    /// The body of `POST /v1/generate` as `dimr serve` reads it from the network.
    case generate

    /// Feeds `bytes` to the reader; returns a one-line outcome (for the replay tool).
    @discardableResult
    func run(_ bytes: [UInt8]) -> String {
        do {
            switch self {
            case .safetensors:
                let file = try SafeTensorsFile(data: Data(bytes), name: "fuzz input")
                for name in file.names { _ = try file.tensor(name) }
            case .png:
                _ = try PNG.decode(bytes)
            case .jpeg:
                _ = try JPEG.decode(bytes)
            case .npy:
                _ = try NPY.parse(bytes).tensor()
            case .npz:
                for array in try NPZ.read(data: Data(bytes), name: "fuzz input").values { _ = try array.tensor() }
            case .idx:
                // Plain and gzip-compressed IDX, as Fashion-MNIST's files are read.
                _ = try IDXArray(fileBytes: Data(bytes))
            case .pth:
                for (_, tensor) in try PyTorchCheckpoint(data: Data(bytes)).tensors { _ = try tensor.sum() }
            case .pickle:
                _ = try PyTorchCheckpoint.unpickle(bytes)
            case .generate:
                _ = try GenerateRequest.decode(Data(bytes))
            }
            return "accepted"
        } catch {
            return "refused: \(error)"
        }
    }
}
