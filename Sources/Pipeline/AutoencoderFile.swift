import Autoencoder
import Foundation
import NN
import Torch

/// A KL autoencoder read from a weights file: the authors' `autoencoder_kl.pth` /
/// `autoencoder_kl_ema.pth` (a PyTorch state dict), or safetensors with the weights under `model.`
/// or unprefixed (e.g. what `dimr convert` writes, or an autoencoder parity fixture).
public enum AutoencoderFile {
    /// Loads `path` into an autoencoder of `config`; without one, of the configuration a file's `ddconfig`
    /// metadata gives (as in parity fixtures), else the one its weight shapes imply
    /// (`AutoencoderConfig.inferred`; Stable Diffusion's KL-f8 for the authors' files).
    ///
    /// Entries under `loss.` (the discriminator and LPIPS weights some training checkpoints keep)
    /// are ignored; anything else must match the model exactly.
    /// - Throws: `PipelineError` naming the file for a missing file, unknown format, or weights that
    ///   do not fit (missing, unexpected or wrongly shaped keys, all listed).
    public static func load(_ path: String, config: AutoencoderConfig? = nil) throws -> AutoencoderKL {
        var chosen = config
        var weights: [String: Tensor]
        if try ModelFile.format(path) == .pytorchZip {
            weights = try PyTorchCheckpoint(path: path).stateDict
        } else {
            let file = try SafeTensorsFile(path: path)
            if chosen == nil, let ddconfig = file.metadata["ddconfig"], let embedDim = file.metadata["embed_dim"].flatMap(Int.init) {
                let scale = file.metadata["scale_factor"].flatMap(Double.init) ?? AutoencoderConfig.stableDiffusionKLF8.scaleFactor
                chosen = try AutoencoderConfig.fromDDConfig(ddconfig, embedDim: embedDim, scaleFactor: scale)
            }
            let prefixed = file.names.contains { $0.hasPrefix("model.") }
            weights = [:]
            for name in file.names where !prefixed || name.hasPrefix("model.") {
                weights[prefixed ? String(name.dropFirst(6)) : name] = try file.tensor(name)
            }
        }
        weights = weights.filter { !$0.key.hasPrefix("loss.") }
        do {
            return try AutoencoderKL(config: chosen ?? AutoencoderConfig.inferred(from: weights), weights: weights)
        } catch {
            throw PipelineError("\(path) does not hold the autoencoder's weights: \(error)")
        }
    }
}
