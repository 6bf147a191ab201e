import NN
import Torch

/// The DiT denoising network (Peebles & Xie 2023, figure 3, adaLN-Zero variant): patchify, add a fixed
/// sine-cosine position embedding, run the blocks conditioned on `timestep embedding + class embedding`,
/// then a modulated LayerNorm and a Linear back to patches.
///
/// State-dict names follow the reference `models.py` (`x_embedder.proj.weight`, `t_embedder.mlp.0.weight`,
/// `y_embedder.embedding_table.weight`, `blocks.3.attn.qkv.weight`, `final_layer.linear.weight`), except that the
/// fixed `pos_embed` is not stored: it follows from the configuration.
public final class DiTModel: Module, @unchecked Sendable {
    /// The configuration the model was built from.
    public let config: DiTConfig
    let patchEmbed: Conv2d
    let timestepEmbedder: TimestepEmbedder
    let labelTable: Embedding
    let blocks: ModuleList<DiTBlock>
    let finalModulation: Linear
    let finalLinear: Linear
    /// The fixed sine-cosine position embedding (1, T, D), float32 (moved to the input's device on use).
    public private(set) var positionEmbedding: Tensor

    /// Builds the network with the reference's initialisation, drawing from `generator`.
    /// - Throws: `DiTError` for an invalid configuration.
    public init(config: DiTConfig, generator: Generator? = nil) throws {
        try config.validate()
        self.config = config
        let d = config.hiddenSize, p = config.patchSize
        patchEmbed = try Conv2d(config.channels, d, kernelSize: (p, p), stride: (p, p), generator: generator)
        // The reference initialises the patch embedding like a Linear of the flattened kernel.
        try Init.xavierUniform_(patchEmbed.weight.tensor.view([d, config.channels * p * p]), generator: generator)
        if let b = patchEmbed.bias { try Init.zeros_(b.tensor) }
        timestepEmbedder = try TimestepEmbedder(dim: d, frequencies: config.frequencyEmbeddingSize, generator: generator)
        labelTable = try Embedding(config.numClasses, d, generator: generator)
        try Init.normal_(labelTable.weight.tensor, std: 0.02, generator: generator)
        blocks = ModuleList(try (0..<config.depth).map { _ in
            try DiTBlock(dim: d, heads: config.numHeads, mlpHidden: config.mlpHiddenSize, generator: generator)
        })
        finalModulation = try DiTInit.zeroLinear(d, 2 * d, generator: generator)
        finalLinear = try DiTInit.zeroLinear(d, config.patchValues, generator: generator)
        positionEmbedding = try sinCosPositionEmbedding(dim: d, gridSize: config.inputSize / p)
        super.init()
        register("x_embedder", NamedSlots([("proj", patchEmbed)]))
        register("t_embedder", timestepEmbedder)
        register("y_embedder", NamedSlots([("embedding_table", labelTable)]))
        register("blocks", blocks)
        register("final_layer", NamedSlots([("adaLN_modulation", NamedSlots([("1", finalModulation)])), ("linear", finalLinear)]))
    }

    /// The noise prediction.
    /// - Parameters:
    ///   - x: noisy images (B, channels, inputSize, inputSize).
    ///   - timesteps: DiT's timestep per sample, (B) or (1) shared, float in [0, 1000].
    ///   - classes: class indices (B), int64, below `numClasses` (the last one is the null class).
    /// - Returns: (B, channels, inputSize, inputSize), in `x`'s dtype.
    /// - Throws: `DiTError` for inputs of the wrong shape or type.
    public func forward(_ x: Tensor, timesteps: Tensor, classes: Tensor) throws -> Tensor {
        let c = config.channels, s = config.inputSize, p = config.patchSize, g = s / p
        guard x.rank == 4, x.size(1) == c, x.size(2) == s, x.size(3) == s else {
            throw DiTError("expected images (B, \(c), \(s), \(s)), got shape \(x.shape)")
        }
        let batch = x.size(0)
        guard classes.shape == [batch], classes.dtype == .int64 else {
            throw DiTError("classes must be int64 of shape [\(batch)], got \(classes.dtype) \(classes.shape)")
        }
        guard timesteps.rank == 1, timesteps.count == batch || timesteps.count == 1, timesteps.dtype.isFloatingPoint else {
            throw DiTError("timesteps must be a float vector of \(batch) values or 1, got \(timesteps.dtype) \(timesteps.shape)")
        }
        if positionEmbedding.device != x.device { positionEmbedding = try positionEmbedding.to(device: x.device) }
        var tokens = try patchEmbed(x).flatten(start: 2).transpose(1, 2) + positionEmbedding  // (B, T, D)
        var time = try timestepEmbedder(timesteps)                                                // (B or 1, D)
        if timesteps.count == 1 && batch > 1 { time = try time.expand([batch, config.hiddenSize]) }
        let condition = try time + labelTable(classes)                                            // (B, D)
        for block in blocks.items { tokens = try block(tokens, condition: condition) }             // (B, T, D)
        let m = try finalModulation(condition.silu()).chunk(2, dim: 1)                            // 2 x (B, D): shift, scale
        let normed = try modulate(tokens.layerNorm([config.hiddenSize], eps: 1e-6), shift: m[0], scale: m[1])
        let patches = try finalLinear(normed)                                                      // (B, T, p*p*C)
        let image = try patches.reshape([batch, g, g, p, p, c]).permute([0, 5, 1, 3, 2, 4])      // (B, C, g, p, g, p)
            .reshape([batch, c, s, s])                                                             // (B, C, S, S)
        return try image.to(x.dtype)
    }
}
