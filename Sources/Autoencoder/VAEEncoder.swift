import NN
import Torch

/// The KL autoencoder's encoder: a 3 x 3 input convolution, one `ResolutionLevel` per `ch_mult` entry (halving the
/// side between levels), the middle block, GroupNorm, SiLU and a 3 x 3 convolution to 2 `z_channels` (mean and
/// log-variance).
///
/// State-dict names: `conv_in.*`, `down.<level>.*`, `mid.*`, `norm_out.*`, `conv_out.*`.
public final class VAEEncoder: Module, @unchecked Sendable {
    let convIn: Conv2d
    let down: ModuleList<ResolutionLevel>
    let mid: MidBlock
    let normOut: GroupNorm
    let convOut: Conv2d

    init(_ config: AutoencoderConfig, layers: LayerBuilder) throws {
        convIn = try layers.conv(config.inChannels, config.ch, kernel: 3)
        let attention = config.encoderAttentionLevels
        down = ModuleList(try (0..<config.levels).map { level in
            try ResolutionLevel(inChannels: config.encoderInputChannels(atLevel: level),
                             outChannels: config.channels(atLevel: level), blocks: config.numResBlocks,
                             attention: attention[level] ? config.attnType : nil,
                             resampling: level != config.levels - 1 ? .down : .none, resampWithConv: config.resampWithConv,
                             layers: layers)
        })
        let width = config.channels(atLevel: config.levels - 1)
        mid = try MidBlock(channels: width, attention: config.attnType, layers: layers)
        normOut = try layers.norm(width)
        convOut = try layers.conv(width, 2 * config.zChannels, kernel: 3)
        super.init()
        register("conv_in", convIn)
        register("down", down)
        register("mid", mid)
        register("norm_out", normOut)
        register("conv_out", convOut)
    }

    /// (B, in_channels, H, W) -> (B, 2 z_channels, H / f, W / f), f the configuration's down-sampling factor.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = try convIn(x)
        for level in down.items { h = try level(h) }
        return try convOut(normOut(mid(h)).silu())
    }
}
