import NN
import Torch

/// The KL autoencoder's decoder: a 3 x 3 convolution from `z_channels` to the last level's width, the middle
/// block, one `ResolutionLevel` per `ch_mult` entry from the last to the first (doubling the side between levels,
/// one more ResNet block per level than the encoder), GroupNorm, SiLU and a 3 x 3 convolution to `out_ch`
/// (then tanh when `tanh_out`).
///
/// State-dict names: `conv_in.*`, `mid.*`, `up.<level>.*` (level 0 the highest resolution), `norm_out.*`, `conv_out.*`.
public final class VAEDecoder: Module, @unchecked Sendable {
    let convIn: Conv2d
    let mid: MidBlock
    let up: ModuleList<ResolutionLevel>
    let normOut: GroupNorm
    let convOut: Conv2d
    let tanhOut: Bool

    init(_ config: AutoencoderConfig, layers: LayerBuilder) throws {
        let levels = config.levels
        let bottom = config.channels(atLevel: levels - 1)
        convIn = try layers.conv(config.zChannels, bottom, kernel: 3)
        mid = try MidBlock(channels: bottom, attention: config.attnType, layers: layers)
        let attention = config.decoderAttentionLevels
        // Built from the last level up, as the reference does; level i reads what level i + 1 wrote (the middle
        // block's width for the last level) and is registered as `up.<i>`.
        let built = try (0..<levels).reversed().map { level in
            try ResolutionLevel(inChannels: config.channels(atLevel: min(level + 1, levels - 1)),
                             outChannels: config.channels(atLevel: level), blocks: config.numResBlocks + 1,
                             attention: attention[level] ? config.attnType : nil,
                             resampling: level != 0 ? .up : .none, resampWithConv: config.resampWithConv, layers: layers)
        }
        up = ModuleList(built.reversed())
        let width = config.channels(atLevel: 0)
        normOut = try layers.norm(width)
        convOut = try layers.conv(width, config.outCh, kernel: 3)
        tanhOut = config.tanhOut
        super.init()
        register("conv_in", convIn)
        register("mid", mid)
        register("up", up)
        register("norm_out", normOut)
        register("conv_out", convOut)
    }

    /// (B, z_channels, h, w) -> (B, out_ch, f h, f w), f the configuration's down-sampling factor.
    public func callAsFunction(_ z: Tensor) throws -> Tensor {
        var h = try mid(convIn(z))
        for level in up.items.reversed() { h = try level(h) }
        let out = try convOut(normOut(h).silu())
        return tanhOut ? try out.tanh() : out
    }
}
