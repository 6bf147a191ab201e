import DiMR
import Foundation
import Torch

/// A trained model read from a file: a training checkpoint, exported weights or a parity fixture.
///
/// Any safetensors file with a `config` entry in its metadata (the authors' field names) and the
/// weights under `model.` works; training checkpoints also hold `ema.` weights, used by default.
public struct ModelFile {
    /// The network, in evaluation mode.
    public let model: DiMRModel
    /// Input height = width.
    public let imageSize: Int
    /// The class index meaning "no class".
    public let nullClass: Int
    /// Which weights were loaded (`ema` or `model`).
    public let weights: String

    /// Loads `path`, preferring EMA weights when present and `useEMA`.
    public init(path: String, useEMA: Bool = true, device: Device = .cpu) throws {
        let file = try SafeTensorsFile(path: path)
        guard let configText = file.metadata["config"] else {
            throw PipelineError("\(path) has no model configuration (metadata key \"config\"); is it a dimr checkpoint?")
        }
        let config = try DiMRConfig.fromJSON(configText)
        guard let classes = config.numClasses, classes >= 2 else {
            throw PipelineError("\(path) holds an unconditional model; sampling here needs classes")
        }
        let hasEMA = file.entries.keys.contains { $0.hasPrefix("ema.") }
        let prefix = useEMA && hasEMA ? "ema." : "model."
        var state: [String: Tensor] = [:]
        for name in file.entries.keys where name.hasPrefix(prefix) {
            state[String(name.dropFirst(prefix.count))] = try file.tensor(name)
        }
        guard !state.isEmpty else { throw PipelineError("\(path) holds no weights under \(prefix)") }
        let model = try DiMRModel(config: config)
        try model.loadStateDict(state)
        try model.to(device: device)
        model.eval()
        self.model = model
        weights = String(prefix.dropLast())
        nullClass = classes - 1
        if let text = file.metadata["image_size"] {
            guard let size = Int(text), size > 0 else { throw PipelineError("\(path) has a bad image_size \(text)") }
            imageSize = size
        } else {
            imageSize = config.stageConfigs.last.map { $0.maxHeight * $0.inputFeatureRatio * $0.imageInputRatio } ?? 32
        }
    }

    /// Writes the EMA weights of a training checkpoint as a small file for sampling, optionally in float16.
    public static func export(checkpoint path: String, to output: String, half: Bool) throws {
        let file = try SafeTensorsFile(path: path)
        guard let config = file.metadata["config"] else { throw PipelineError("\(path) has no model configuration") }
        let hasEMA = file.entries.keys.contains { $0.hasPrefix("ema.") }
        let prefix = hasEMA ? "ema." : "model."
        var tensors: [String: Tensor] = [:]
        for name in file.entries.keys where name.hasPrefix(prefix) {
            let t = try file.tensor(name)
            tensors["model." + name.dropFirst(prefix.count)] = half && t.dtype == .float32 ? try t.to(.float16) : t
        }
        var metadata = ["config": config, "format": "dimr-weights/1", "weights": String(prefix.dropLast())]
        for key in ["image_size", "null_class", "loss_coeffs", "step", "training"] { metadata[key] = file.metadata[key] }
        try SafeTensors.save(tensors, metadata: metadata, to: output)
    }
}
