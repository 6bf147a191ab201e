import NN
import Torch

/// One resolution of the encoder: ResNet blocks (each followed by attention at the configured sides), then
/// down-sampling unless it is the last level.
///
/// State-dict names: `block.<i>.*`, `attn.<i>.*` (only at attention levels), `downsample.*`.
public final class EncoderLevel: Module, @unchecked Sendable {
    let block: ModuleList<ResnetBlock>
    let attn: ModuleList<AttentionLayer>
    let downsample: Downsample?

    init(inChannels: Int, outChannels: Int, blocks: Int, attention: AttentionType?, downsample withDownsample: Bool,
         resampWithConv: Bool, layers: LayerBuilder) throws {
        var resnets: [ResnetBlock] = [], attentions: [AttentionLayer] = []
        for i in 0..<blocks {  // the reference's construction order: each block, then its attention
            resnets.append(try ResnetBlock(i == 0 ? inChannels : outChannels, outChannels, layers: layers))
            if let attention { attentions.append(try AttentionLayer.make(attention, channels: outChannels, layers: layers)) }
        }
        block = ModuleList(resnets)
        attn = ModuleList(attentions)
        downsample = withDownsample ? try Downsample(channels: outChannels, withConv: resampWithConv, layers: layers) : nil
        super.init()
        register("block", block)
        register("attn", attn)
        if let downsample { register("downsample", downsample) }
    }

    /// (B, inChannels, H, W) -> (B, outChannels, H / 2, W / 2), or (B, outChannels, H, W) at the last level.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        for (i, resnet) in block.items.enumerated() {
            h = try resnet(h)
            if attn.count > 0 { h = try attn[i](h) }
        }
        return try downsample.map { try $0(h) } ?? h
    }
}
