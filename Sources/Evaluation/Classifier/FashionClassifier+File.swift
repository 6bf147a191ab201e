import Foundation
import NN
import Torch

extension FashionClassifier {
    /// Reads weights written by `save(to:metadata:)` (float32 safetensors with the state-dict names).
    /// - Throws: `EvaluationError` naming the file when keys are missing, unexpected or misshapen.
    public static func load(path: String, device: Device = .cpu) throws -> (model: FashionClassifier, metadata: [String: String]) {
        guard FileManager.default.fileExists(atPath: path) else { throw EvaluationError("classifier weights \(path) not found") }
        let file = try SafeTensorsFile(path: path)
        let model = try Init.skipping { try FashionClassifier() }
        do {
            try model.loadStateDict(file.tensors(), strict: true, assign: true)
        } catch let error as TorchError {
            throw EvaluationError("\(path) is not a Fashion-MNIST classifier of this layout: \(error.message)")
        }
        try model.to(device: device)
        model.eval()
        return (model, file.metadata)
    }

    /// Writes the weights (float32) and `metadata` as safetensors, atomically.
    public func save(to path: String, metadata: [String: String]) throws {
        try SafeTensors.save(stateDict(), metadata: metadata, to: path)
    }
}
