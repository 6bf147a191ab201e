import Autoencoder
import Foundation
import Pipeline
import Testing
import Torch

@Suite("Autoencoder state-dict names")
struct StateDictTests {
    @Test("the model built from a fixture's ddconfig has exactly the fixture's parameter names and shapes",
          arguments: Fixtures.all)
    func namesMatchFixture(name: String) throws {
        let fixture = try AutoencoderFixture(path: Fixtures.path(name))
        let reference = try fixture.stateDict()
        let model = try AutoencoderKL(config: fixture.config, initializeWeights: false)
        let ours = model.stateDict()
        let onlyOurs = Set(ours.keys).subtracting(reference.keys).sorted()
        let onlyFixture = Set(reference.keys).subtracting(ours.keys).sorted()
        #expect(onlyOurs.isEmpty && onlyFixture.isEmpty, "\(name): only ours \(onlyOurs), only the fixture \(onlyFixture)")
        for (key, tensor) in ours { #expect(tensor.shape == reference[key]?.shape, "\(name): \(key)") }
        try model.loadStateDict(reference)  // strict: no missing, no unexpected keys
    }

    @Test("attention sits where the reference's side arithmetic puts it, separately in encoder and decoder")
    func attentionPlacement() throws {
        // resolution 18, three levels: the encoder counts 18, 9, 4; the decoder 18 / 4 = 4, then 8, 16.
        let config = try AutoencoderConfig.fromJSON("""
            {"ch": 32, "ch_mult": [1, 1, 1], "num_res_blocks": 2, "z_channels": 2, "in_channels": 1, "out_ch": 2,
             "resolution": 18, "attn_resolutions": [9, 16], "embed_dim": 2}
            """)
        #expect(config.encoderAttentionLevels == [false, true, false])
        #expect(config.decoderAttentionLevels == [true, false, false])
        let names = AutoencoderKL.parameterNames(config)
        #expect(names.contains("encoder.down.1.attn.1.proj_out.weight"))
        #expect(!names.contains { $0.hasPrefix("encoder.down.1.attn.2") })
        #expect(names.contains("decoder.up.0.attn.2.q.bias"))  // three blocks, three attentions in the decoder
        #expect(!names.contains { $0.hasPrefix("encoder.down.0.attn") || $0.hasPrefix("decoder.up.1.attn") })
    }

    @Test("the Stable Diffusion KL-f8 preset has the reference's 248 tensors and 83,653,863 parameters")
    func stableDiffusionPreset() throws {
        // Counts from the authors' Encoder and Decoder built with get_model's ddconfig, plus quant_conv and post_quant_conv.
        let model = try AutoencoderKL(config: .stableDiffusionKLF8, initializeWeights: false)
        let state = model.stateDict()
        #expect(state.count == 248)
        #expect(model.parameterCount == 83_653_863)
        #expect(state["encoder.down.0.block.0.norm1.weight"]?.shape == [128])
        #expect(state["encoder.down.1.block.0.nin_shortcut.weight"]?.shape == [256, 128, 1, 1])
        #expect(state["encoder.down.2.downsample.conv.weight"]?.shape == [512, 512, 3, 3])
        #expect(state["encoder.down.3.downsample.conv.weight"] == nil)
        #expect(state["encoder.mid.attn_1.q.weight"]?.shape == [512, 512, 1, 1])
        #expect(state["encoder.conv_out.weight"]?.shape == [8, 512, 3, 3])
        #expect(state["quant_conv.weight"]?.shape == [8, 8, 1, 1])
        #expect(state["post_quant_conv.weight"]?.shape == [4, 4, 1, 1])
        #expect(state["decoder.conv_in.weight"]?.shape == [512, 4, 3, 3])
        #expect(state["decoder.up.3.block.2.conv2.weight"]?.shape == [512, 512, 3, 3])
        #expect(state["decoder.up.1.block.0.nin_shortcut.weight"]?.shape == [256, 512, 1, 1])
        #expect(state["decoder.up.0.upsample.conv.weight"] == nil)
        #expect(state["decoder.up.1.upsample.conv.weight"]?.shape == [256, 256, 3, 3])
        #expect(state["decoder.conv_out.weight"]?.shape == [3, 128, 3, 3])
        #expect(!state.keys.contains { $0.contains(".attn.") || $0.contains("temb") })
    }

    @Test("linear attention and no attention have the reference's names")
    func attentionKinds() throws {
        var config = smallConfig
        config.attnType = .linear
        let linear = AutoencoderKL.parameterNames(config)
        #expect(linear.contains("encoder.mid.attn_1.to_qkv.weight"))
        #expect(!linear.contains("encoder.mid.attn_1.to_qkv.bias"))
        #expect(linear.contains("decoder.up.1.attn.0.to_out.bias"))
        config.attnType = .none
        let none = AutoencoderKL.parameterNames(config)
        #expect(!none.contains { $0.contains("attn") })
        config.resampWithConv = false
        #expect(!AutoencoderKL.parameterNames(config).contains { $0.contains("sample.conv") })
    }

    @Test("loading weights strictly names missing, unexpected and wrongly shaped keys")
    func strictLoading() throws {
        let fixture = try AutoencoderFixture(path: Fixtures.path("vae_tiny.safetensors"))
        var weights = try fixture.stateDict()
        weights["decoder.mid.attn_1.k.bias"] = nil
        weights["decoder.mid.attn_1.extra"] = try Tensor.zeros([2])
        weights["encoder.conv_in.weight"] = try Tensor.zeros([32, 3, 1, 1])
        let message = errorMessage { _ = try AutoencoderKL(config: fixture.config, weights: weights) }
        #expect(message.contains("missing keys: decoder.mid.attn_1.k.bias"))
        #expect(message.contains("unexpected keys: decoder.mid.attn_1.extra"))
        #expect(message.contains("encoder.conv_in.weight: checkpoint [32, 3, 1, 1], model [32, 3, 3, 3]"))
    }
}

extension AutoencoderKL {
    /// The state-dict names of an uninitialised model of `config`.
    static func parameterNames(_ config: AutoencoderConfig) -> Set<String> {
        (try? AutoencoderKL(config: config, initializeWeights: false)).map { Set($0.stateDict().keys) } ?? []
    }
}
