import NN
import Torch

/// Pre-norm Transformer block: `x + attention(x)`, then `x + mlp(x)`.
///
/// State-dict names: `block1.*` (attention), `block2.*` (MLP).
public final class TransformerBlock: Module, StageBlock, @unchecked Sendable {
    /// The attention branch.
    public let block1: SelfAttention
    /// The MLP branch.
    public let block2: MLPBlock
    let dropout: Dropout

    /// A block for a Transformer stage.
    public init(_ config: StageConfig, normType: NormType, generator: Generator?) throws {
        guard let heads = config.numAttentionHeads else { throw DiMRError("a TransformerBlock needs num_attention_heads") }
        block1 = try SelfAttention(dim: config.dim, heads: heads, normType: normType, generator: generator)
        block2 = try MLPBlock(dim: config.dim, hiddenDim: config.hiddenDim, normType: normType, generator: generator)
        dropout = try Dropout(config.dropoutProb)
        super.init()
        register("block1", block1)
        register("block2", block2)
        register("dropout", dropout)
    }

    /// (B, N, C) -> (B, N, C).
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        let h = try x + residualDropout(block1(x, time: time), dropout)
        return try h + residualDropout(block2(h, time: time), dropout)
    }
}
