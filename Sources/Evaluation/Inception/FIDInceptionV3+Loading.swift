import Foundation
import NN
import Torch

extension FIDInceptionV3 {
    /// The file name pytorch-fid downloads its weights to (not downloaded here: users pass the file).
    public static let weightsFileName = "pt_inception-2015-12-05-6726825d.pth"

    /// Loads the FID Inception weights from `path`: pytorch-fid's `pt_inception-2015-12-05-6726825d.pth`
    /// (read by the restricted `.pth` reader, nothing executed) or the same state dict as safetensors.
    ///
    /// Every parameter and running statistic must be present with its shape; `num_batches_tracked` may be
    /// missing (files saved before PyTorch 0.4.1 lack it; it plays no part in evaluation).
    /// - Throws: `EvaluationError` naming the file and the missing, unexpected or misshapen keys;
    ///   the readers' errors for a damaged file.
    public static func load(path: String, device: Device = .cpu, dtype: DType = .float32) throws -> FIDInceptionV3 {
        guard FileManager.default.fileExists(atPath: path) else {
            throw EvaluationError("Inception weights \(path) not found (pytorch-fid's \(weightsFileName) is expected; it is not downloaded)")
        }
        let state: [String: Tensor]
        if path.lowercased().hasSuffix(".safetensors") {
            state = try SafeTensorsFile(path: path).tensors()
        } else {
            state = try PyTorchCheckpoint(path: path).stateDict
        }
        let network = Init.skipping { FIDInceptionV3() }
        try network.load(state, what: path)
        try network.to(device: device, dtype: dtype)
        return network
    }

    /// Loads a state dict with pytorch-fid's names (see `load(path:)`); `what` names its source in errors.
    public func load(_ state: [String: Tensor], what: String = "state dict") throws {
        var state = state
        for (name, tracked) in namedBuffers() where name.hasSuffix(".num_batches_tracked") && state[name] == nil {
            state[name] = tracked
        }
        do {
            try loadStateDict(state, strict: true, assign: true)
        } catch let error as TorchError {
            throw EvaluationError("\(what) is not the FID Inception-v3: \(error.message)")
        }
        eval()
    }
}
