import Torch

extension AutoencoderConfig {
    /// The configuration a state dict of the KL layout implies, read from its weight shapes: `ch` from
    /// `encoder.conv_in`, `ch_mult` and `num_res_blocks` from the encoder's `down.<i>.block.<j>`, attention
    /// levels from `down.<i>.attn.*` (placed with a resolution of 2^(levels-1) * 32), `z_channels` and
    /// `double_z` from `encoder.conv_out`, `embed_dim` from `quant_conv`, `out_ch` from `decoder.conv_out`,
    /// convolutional resampling from `downsample.conv`, the attention type from `mid.attn_1`. `tanh_out` cannot
    /// be seen in weights and stays off; the scale factor is Stable Diffusion's unless given.
    ///
    /// - Throws: `AutoencoderError` naming the key that is missing or of an unexpected shape.
    public static func inferred(from state: [String: Tensor], scaleFactor: Double = 0.18215) throws -> AutoencoderConfig {
        func shape(_ key: String, rank: Int) throws -> [Int] {
            guard let t = state[key] else { throw AutoencoderError("not a KL autoencoder state dict: no \(key)") }
            guard t.rank == rank else { throw AutoencoderError("\(key) has shape \(t.shape), expected rank \(rank)") }
            return t.shape
        }
        let convIn = try shape("encoder.conv_in.weight", rank: 4)        // (ch, in, 3, 3)
        let ch = convIn[0]
        guard ch > 0 else { throw AutoencoderError("encoder.conv_in.weight has no output channels") }
        var chMult: [Int] = []
        while state["encoder.down.\(chMult.count).block.0.conv1.weight"] != nil {
            let out = try shape("encoder.down.\(chMult.count).block.0.conv1.weight", rank: 4)[0]
            guard out % ch == 0 else { throw AutoencoderError("encoder.down.\(chMult.count) has \(out) channels, not a multiple of ch \(ch)") }
            chMult.append(out / ch)
            guard chMult.count <= AutoencoderConfig.maxLevels else { throw AutoencoderError("more than \(AutoencoderConfig.maxLevels) levels") }
        }
        guard !chMult.isEmpty else { throw AutoencoderError("not a KL autoencoder state dict: no encoder.down.0.block.0.conv1.weight") }
        var blocks = 0
        while state["encoder.down.0.block.\(blocks).conv1.weight"] != nil, blocks < AutoencoderConfig.maxResBlocks { blocks += 1 }
        let resolution = (1 << (chMult.count - 1)) * 32
        let attention = chMult.indices.filter { level in state.keys.contains { $0.hasPrefix("encoder.down.\(level).attn.") } }
        let convOut = try shape("encoder.conv_out.weight", rank: 4)[0]   // 2 * z_channels (double_z)
        let embed = try shape("quant_conv.weight", rank: 4)[0]            // 2 * embed_dim
        guard embed % 2 == 0, convOut % 2 == 0 else {
            throw AutoencoderError("encoder.conv_out / quant_conv make \(convOut) / \(embed) channels, not mean and log-variance")
        }
        let midAttention = state.keys.contains { $0.hasPrefix("encoder.mid.attn_1.") }
        return AutoencoderConfig(
            ch: ch, chMult: chMult, numResBlocks: blocks, zChannels: convOut / 2,
            inChannels: convIn[1], outCh: try shape("decoder.conv_out.weight", rank: 4)[0], doubleZ: true,
            attnResolutions: attention.map { resolution >> $0 }, resolution: resolution,
            resampWithConv: chMult.count < 2 || state["encoder.down.0.downsample.conv.weight"] != nil,
            attnType: !midAttention ? .none : state["encoder.mid.attn_1.to_qkv.weight"] != nil ? .linear : .vanilla,
            embedDim: embed / 2, scaleFactor: scaleFactor)
    }
}
