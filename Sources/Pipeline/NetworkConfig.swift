import DiMR
import DiT
import Diffusion
import Foundation
import NN
import Torch

/// A network the training loop, the samplers and the evaluation run: a module behind `DenoisingNetwork`.
public typealias DenoisingModule = Module & DenoisingNetwork

extension DiMRModel: DenoisingNetwork {}

extension DiTModel: DenoisingNetwork {
    /// DiT's single noise prediction. The protocol's condition `c = n / 1000 * 8 - 4` is turned back into the
    /// timestep `n = (c + 4) * 125` that DiT's sinusoidal embedding takes.
    public func predict(_ x: Tensor, logSNR: Tensor, classes: Tensor) throws -> [Tensor] {
        [try forward(x, timesteps: (logSNR + 4.0) * 125.0, classes: classes)]
    }
}

/// The configuration of any network family this project trains: DiMR (the paper's model and its norm
/// variants) or DiT (the single-resolution baseline). Stored in checkpoints as the family's own JSON: a DiT
/// configuration carries `"model_type": "DiT"`, anything else is read as DiMR (the authors' field names), so
/// files written before DiT existed read as they did.
public enum NetworkConfig: JSONConfiguration, Equatable, Sendable {
    case dimr(DiMRConfig)
    case dit(DiTConfig)

    private enum ProbeKey: String, CodingKey { case modelType = "model_type" }

    public init(from decoder: any Decoder) throws {
        let probe = try decoder.container(keyedBy: ProbeKey.self)
        if let type = try probe.decodeIfPresent(String.self, forKey: .modelType) {
            guard type == DiTConfig.modelTypeName else {
                throw DecodingError.dataCorruptedError(forKey: .modelType, in: probe,
                                                       debugDescription: "unknown model_type \(type) (known: \(DiTConfig.modelTypeName))")
            }
            self = .dit(try DiTConfig(from: decoder))
        } else {
            self = .dimr(try DiMRConfig(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .dimr(let c): try c.encode(to: encoder)
        case .dit(let c): try c.encode(to: encoder)
        }
    }

    /// Validates the family's configuration.
    /// - Throws: `PipelineError` with the family's message.
    public func validate() throws {
        do {
            switch self {
            case .dimr(let c): try c.validate()
            case .dit(let c): try c.validate()
            }
        } catch {
            throw PipelineError("\(error)")
        }
    }

    /// The error for JSON that does not decode (`JSONConfiguration.fromJSON`, which also writes either family's
    /// JSON with sorted keys, as checkpoints store it).
    public static func invalidJSON(_ reason: String) -> any Error {
        PipelineError("invalid model configuration JSON: \(reason)")
    }

    /// The DiMR configuration, when this is one.
    public var dimr: DiMRConfig? {
        if case .dimr(let c) = self { return c }
        return nil
    }

    /// Image channels in and out.
    public var channels: Int {
        switch self {
        case .dimr(let c): return c.channels
        case .dit(let c): return c.channels
        }
    }

    /// Class embeddings including the null class (nil: an unconditional DiMR).
    public var numClasses: Int? {
        switch self {
        case .dimr(let c): return c.numClasses
        case .dit(let c): return c.numClasses
        }
    }

    /// Noise predictions per forward pass (DiMR: one per stage, lowest resolution first; DiT: one).
    public var outputCount: Int {
        switch self {
        case .dimr(let c): return c.stageConfigs.count
        case .dit: return 1
        }
    }

    /// The image side the network is built for (DiMR: its last stage's grid times its ratios; DiT: `input_size`).
    public var naturalImageSize: Int {
        switch self {
        case .dimr(let c):
            let last = c.stageConfigs[c.stageConfigs.count - 1]
            return last.maxHeight * last.inputFeatureRatio * last.imageInputRatio
        case .dit(let c): return c.inputSize
        }
    }

    /// Throws when images of `imageSize` pixels a side do not fit the network.
    public func validate(imageSize: Int) throws {
        switch self {
        case .dimr(let c): try c.validate(imageSize: imageSize)
        case .dit(let c):
            try c.validate()
            guard imageSize == c.inputSize else {
                throw PipelineError("this DiT takes \(c.inputSize)x\(c.inputSize) images (input_size), not \(imageSize)x\(imageSize)")
            }
        }
    }

    /// Trainable parameters, counted from the configuration.
    public var parameterCount: Int {
        switch self {
        case .dimr(let c): return c.parameterCount
        case .dit(let c): return c.parameterCount
        }
    }

    /// FLOPs of one forward pass of one image of `imageSize` pixels a side (see `DiMRConfig.flopsPerForward`).
    public func flopsPerForward(imageSize: Int) -> Double {
        switch self {
        case .dimr(let c): return c.flopsPerForward(imageSize: imageSize)
        case .dit(let c): return c.flopsPerForward
        }
    }

    /// One line naming the architecture, e.g. "DiMR, 3 stages, norm TDRMSN" or "DiT, patch 2, 6 blocks of 64".
    public var architecture: String {
        switch self {
        case .dimr(let c): return "DiMR, \(c.stageConfigs.count) stages, norm \(c.normType.rawValue)"
        case .dit(let c): return "DiT (adaLN-Zero), patch \(c.patchSize), \(c.depth) blocks of \(c.hiddenSize), \(c.numHeads) heads"
        }
    }

    /// Builds the network, initialised from `generator` (or left uninitialised inside `Init.skipping`).
    public func makeNetwork(generator: Generator? = nil) throws -> any DenoisingModule {
        switch self {
        case .dimr(let c): return try DiMRModel(config: c, generator: generator)
        case .dit(let c): return try DiTModel(config: c, generator: generator)
        }
    }
}
