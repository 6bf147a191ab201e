import NN
import Torch

/// One resolution of the cascade: input path (plus the up-sampled features of the stage below), an
/// optional class token, a U-shaped stack of blocks with long skips, and an output convolution.
///
/// State-dict names: `input_layer.*`, `class_embeds.weight`, `upsample.*`, `blocks.<i>.*`,
/// `skip_denses.<i>.*`, `output_layer.*`.
public final class Stage: Module, @unchecked Sendable {
    /// The stage's configuration.
    public let config: StageConfig
    /// Image down-sampling, patchify convolution, position embeddings.
    public let inputLayer: StageInput
    /// Class-token table (Transformer stages of class-conditional models).
    public let classEmbeds: Embedding?
    /// Hand-over from the stage below (every stage but the first).
    public let upsample: CascadeUpsample?
    /// The blocks, `2 * (numBlocks / 2) + 1` of them.
    public let blocks: ModuleList<Module>
    /// One Linear per long skip, fusing `cat(x, skip)` back to `dim`.
    public let skipDenses: ModuleList<Linear>
    /// Norm and output convolution.
    public let outputLayer: StageOutput
    private let blockList: [any StageBlock]

    /// Whether blocks are recomputed during the backward pass instead of keeping their activations.
    public var gradientCheckpointing = false

    /// A stage reading `channels`-channel images; `lowres` describes the stage below (its skip width and grid height).
    public init(channels: Int, numClasses: Int?, normType: NormType, _ config: StageConfig,
                lowres: (width: Int, height: Int)?, generator: Generator?) throws {
        self.config = config
        inputLayer = try StageInput(channels: channels, config, generator: generator)
        if config.blockType == .transformer, let numClasses {
            classEmbeds = try AuthorsInit.embedding(numClasses, config.dim, generator: generator)
        } else {
            classEmbeds = nil
        }
        if let lowres {
            upsample = try CascadeUpsample(inDim: lowres.width, outDim: config.dim, ratio: config.maxHeight / lowres.height,
                                           generator: generator)
        } else {
            upsample = nil
        }
        var built: [any StageBlock] = []
        for _ in 0..<config.builtBlocks {
            switch config.blockType {
            case .transformer: built.append(try TransformerBlock(config, normType: normType, generator: generator))
            case .convNeXt: built.append(try ConvNeXtBlock(config, normType: normType, generator: generator))
            }
        }
        blockList = built
        blocks = ModuleList(built.map { $0 as Module })
        skipDenses = ModuleList(try (0..<(config.numBlocks / 2)).map { _ in
            try AuthorsInit.linear(2 * config.dim, config.dim, generator: generator)
        })
        outputLayer = try StageOutput(dim: config.dim, channels: channels, kernelSize: config.finalKernelSize,
                                      generator: generator)
        super.init()
        register("input_layer", inputLayer)
        if let classEmbeds { register("class_embeds", classEmbeds) }
        if let upsample { register("upsample", upsample) }
        register("blocks", blocks)
        register("skip_denses", skipDenses)
        register("output_layer", outputLayer)
    }

    /// Runs the stage.
    /// - Returns: the prediction (B, channels, h, w) and the features for the next stage: the input tokens
    ///   and every block's output, each (B, h, w, dim), class token removed.
    public func callAsFunction(images: Tensor, lowres: Tensor?, classes: Tensor?,
                               time: TimeContext) throws -> (output: Tensor, skips: [Tensor]) {
        var x = try inputLayer(images)  // (B, h, w, D)
        if let upsample {
            guard let lowres else { throw DiMRError("stage needs the features of the stage below") }
            x = try x + upsample(lowres, time: time)  // (B, h, w, D)
        }
        let (b, h, w, d) = (x.size(0), x.size(1), x.size(2), x.size(3))
        let tokens = config.blockType == .transformer
        if tokens { x = try x.reshape([b, h * w, d]) }  // (B, h*w, D)
        if let classEmbeds {
            guard let classes else { throw DiMRError("this class-conditional model needs classes") }
            x = try Tensor.cat([classEmbeds(classes).unsqueeze(1), x], dim: 1)  // (B, 1 + h*w, D)
        }

        var external = [x]
        let half = blockList.count / 2
        var skips: [Tensor] = []
        for block in blockList[..<half] {
            x = try run(block, x, time)
            external.append(x)
            skips.append(x)
        }
        x = try run(blockList[half], x, time)
        external.append(x)
        for (dense, block) in zip(skipDenses.items, blockList[(half + 1)...]) {
            guard let skip = skips.popLast() else { break }
            // Under mixed precision the dense layer returns bfloat16; the residual stream keeps the skip's type.
            x = try dense(Tensor.cat([x, skip], dim: -1)).to(skip.dtype)  // (B, ..., D)
            x = try run(block, x, time)
            external.append(x)
        }

        if classEmbeds != nil {
            x = try x.slice(dim: 1, start: 1)  // (B, h*w, D)
            external = try external.map { try $0.slice(dim: 1, start: 1) }
        }
        if tokens {
            x = try x.reshape([b, h, w, d])  // (B, h, w, D)
            external = try external.map { try $0.reshape([b, h, w, d]) }
        }
        return (try outputLayer(x, time: time), external)
    }

    /// Applies one block, through a checkpoint when gradient checkpointing is on and a gradient will flow.
    private func run(_ block: any StageBlock, _ x: Tensor, _ time: TimeContext) throws -> Tensor {
        guard gradientCheckpointing, isTraining, Torch.gradEnabled, x.requiresGrad else { return try block(x, time: time) }
        // Dropout draws from its own generator or the default one: the recomputation must replay the same draws.
        if config.dropoutProb > 0, x.device != .cpu {
            throw DiMRError("gradient checkpointing with dropout replays CPU random draws only; use dropout 0 on \(x.device)")
        }
        let ownGenerator = block.namedModules().lazy.compactMap { ($0.module as? Dropout)?.generator }.first
        let replay = config.dropoutProb > 0 ? try ownGenerator ?? Generator.defaultCPU() : nil
        let state = try replay?.state()
        var recomputing = false
        let outputs = try Checkpoint.run([x]) { inputs in
            guard recomputing, let replay, let state else {
                recomputing = true
                return [try block(inputs[0], time: time)]
            }
            let current = try replay.state()
            try replay.setState(state)
            defer { try? replay.setState(current) }
            return [try block(inputs[0], time: time)]
        }
        return outputs[0]
    }
}
