import NN
import Torch

/// One resolution of the decoder: ResNet blocks (each followed by attention at the configured sides), then
/// up-sampling unless it is the first (highest-resolution) level.
///
/// State-dict names: `block.<i>.*`, `attn.<i>.*` (only at attention levels), `upsample.*`.
public final class DecoderLevel: Module, @unchecked Sendable {
    let block: ModuleList<ResnetBlock>
    let attn: ModuleList<AttentionLayer>
    let upsample: Upsample?

    init(inChannels: Int, outChannels: Int, blocks: Int, attention: AttentionType?, upsample withUpsample: Bool,
         resampWithConv: Bool, layers: LayerBuilder) throws {
        var resnets: [ResnetBlock] = [], attentions: [AttentionLayer] = []
        for i in 0..<blocks {  // the reference's construction order: each block, then its attention
            resnets.append(try ResnetBlock(i == 0 ? inChannels : outChannels, outChannels, layers: layers))
            if let attention { attentions.append(try AttentionLayer.make(attention, channels: outChannels, layers: layers)) }
        }
        block = ModuleList(resnets)
        attn = ModuleList(attentions)
        upsample = withUpsample ? try Upsample(channels: outChannels, withConv: resampWithConv, layers: layers) : nil
        super.init()
        register("block", block)
        register("attn", attn)
        if let upsample { register("upsample", upsample) }
    }

    /// (B, inChannels, H, W) -> (B, outChannels, 2H, 2W), or (B, outChannels, H, W) at the first level.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        for (i, resnet) in block.items.enumerated() {
            h = try resnet(h)
            if attn.count > 0 { h = try attn[i](h) }
        }
        return try upsample.map { try $0(h) } ?? h
    }
}
