import NN
import Torch

/// The middle of the encoder and of the decoder: a ResNet block, attention, a ResNet block, at constant width.
///
/// State-dict names: `block_1.*`, `attn_1.*`, `block_2.*`.
public final class MidBlock: Module, @unchecked Sendable {
    let block1: ResnetBlock
    let attn1: AttentionLayer
    let block2: ResnetBlock

    init(channels: Int, attention: AttentionType, layers: LayerBuilder) throws {
        block1 = try ResnetBlock(channels, channels, layers: layers)
        attn1 = try AttentionLayer.make(attention, channels: channels, layers: layers)
        block2 = try ResnetBlock(channels, channels, layers: layers)
        super.init()
        register("block_1", block1)
        register("attn_1", attn1)
        register("block_2", block2)
    }

    /// (B, C, H, W) -> (B, C, H, W).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try block2(attn1(block1(x)))
    }
}
