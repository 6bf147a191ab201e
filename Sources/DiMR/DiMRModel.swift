import NN
import Torch

/// The DiMR multi-resolution denoising network: a cascade of stages from low to high resolution, each
/// predicting the noise at its own resolution and handing its features up to the next.
///
/// Parameter names follow the authors' state dicts (`stages.0.blocks.3.block1.norm.scale.param0`), so their
/// checkpoints load with `loadStateDict` and give the same numbers.
public final class DiMRModel: Module, @unchecked Sendable {
    /// The configuration the model was built from.
    public let config: DiMRConfig
    /// The stages, lowest resolution first.
    public let stages: ModuleList<Stage>

    /// Whether blocks recompute their activations in the backward pass (saves memory; off by default).
    public var gradientCheckpointing: Bool {
        get { stages.items.first?.gradientCheckpointing ?? false }
        set { for s in stages.items { s.gradientCheckpointing = newValue } }
    }

    /// Builds the network with the authors' initialisation, drawing from `generator` (libtorch's default
    /// generator when nil, so `Torch.manualSeed(s)` then `DiMRModel(config:)` draws what the authors' code draws
    /// after `torch.manual_seed(s)`).
    public init(config: DiMRConfig, generator: Generator? = nil) throws {
        try config.validate()
        self.config = config
        var built: [Stage] = []
        for (i, stageConfig) in config.stageConfigs.enumerated() {
            let lowres = i == 0 ? nil : (width: config.stageConfigs[i - 1].skipWidth, height: config.stageConfigs[i - 1].maxHeight)
            built.append(try Stage(channels: config.channels, numClasses: config.numClasses, normType: config.normType,
                                   stageConfig, lowres: lowres, generator: generator))
        }
        stages = ModuleList(built)
        super.init()
        register("stages", stages)
    }

    /// Noise predictions at every resolution, lowest first.
    /// - Parameters:
    ///   - x: noisy images (B, channels, H, W).
    ///   - logSNR: the time condition (B) or (1); a batch whose values are all equal takes the shared-time path.
    ///   - classes: class indices (B), int64 (ignored by an unconditional model).
    public func forward(_ x: Tensor, logSNR: Tensor, classes: Tensor?) throws -> [Tensor] {
        guard x.rank == 4, x.size(1) == config.channels else {
            throw DiMRError("expected images (B, \(config.channels), H, W), got shape \(x.shape)")
        }
        let batch = x.size(0)
        if config.numClasses != nil {
            guard let classes else { throw DiMRError("this class-conditional model needs classes") }
            guard classes.shape == [batch], classes.dtype == .int64 else {
                throw DiMRError("classes must be int64 of shape [\(batch)], got \(classes.dtype) \(classes.shape)")
            }
        }
        let time = try TimeContext(logSNR: logSNR, batchSize: batch)
        var outputs: [Tensor] = []
        var lowres: Tensor?
        for (i, stage) in stages.items.enumerated() {
            let (output, skips) = try stage(images: x, lowres: lowres, classes: classes, time: time)
            outputs.append(try output.to(x.dtype))  // (B, channels, h, w); float32 also under mixed precision
            if i + 1 < stages.count {
                let features = try Tensor.cat(skips, dim: -1)  // (B, h, w, D * (blocks + 1))
                lowres = config.blockGradToLowres ? try features.detach() : features
            }
        }
        return outputs
    }

    /// Noise predictions at every resolution, lowest first (the `DenoisingNetwork` entry point).
    public func predict(_ x: Tensor, logSNR: Tensor, classes: Tensor) throws -> [Tensor] {
        try forward(x, logSNR: logSNR, classes: classes)
    }
}
