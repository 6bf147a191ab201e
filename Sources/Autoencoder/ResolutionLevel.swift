import NN
import Torch

/// One resolution of the encoder or decoder: ResNet blocks (each followed by attention at the configured
/// sides), then down-sampling (encoder) or up-sampling (decoder), except at the last level of the way.
///
/// State-dict names: `block.<i>.*`, `attn.<i>.*` (only at attention levels), `downsample.*` or `upsample.*`.
public final class ResolutionLevel: Module, @unchecked Sendable {
    /// What follows the blocks.
    enum Resampling {
        case down, up, none
    }

    let block: ModuleList<ResnetBlock>
    let attn: ModuleList<AttentionLayer>
    /// A `Downsample` or `Upsample`, registered as `downsample` / `upsample`.
    let resample: Module?
    private let apply: ((Tensor) throws -> Tensor)?

    init(inChannels: Int, outChannels: Int, blocks: Int, attention: AttentionType?, resampling: Resampling,
         resampWithConv: Bool, layers: LayerBuilder) throws {
        var resnets: [ResnetBlock] = [], attentions: [AttentionLayer] = []
        for i in 0..<blocks {  // the reference's construction order: each block, then its attention
            resnets.append(try ResnetBlock(i == 0 ? inChannels : outChannels, outChannels, layers: layers))
            if let attention { attentions.append(try AttentionLayer.make(attention, channels: outChannels, layers: layers)) }
        }
        block = ModuleList(resnets)
        attn = ModuleList(attentions)
        switch resampling {
        case .down:
            let layer = try Downsample(channels: outChannels, withConv: resampWithConv, layers: layers)
            (resample, apply) = (layer, { try layer($0) })
        case .up:
            let layer = try Upsample(channels: outChannels, withConv: resampWithConv, layers: layers)
            (resample, apply) = (layer, { try layer($0) })
        case .none:
            (resample, apply) = (nil, nil)
        }
        super.init()
        register("block", block)
        register("attn", attn)
        if let resample { register(resampling == .down ? "downsample" : "upsample", resample) }
    }

    /// (B, inChannels, H, W) -> (B, outChannels, H / 2, W / 2) down, (B, outChannels, 2H, 2W) up, or
    /// (B, outChannels, H, W) without resampling.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        for (i, resnet) in block.items.enumerated() {
            h = try resnet(h)
            if attn.count > 0 { h = try attn[i](h) }
        }
        return try apply.map { try $0(h) } ?? h
    }
}
