import Autoencoder
import Foundation
import Testing

@Suite("Autoencoder configuration")
struct ConfigTests {
    @Test("decodes the authors' ddconfig with their defaults and encodes it back")
    func decodesDDConfig() throws {
        let config = try AutoencoderConfig.fromDDConfig("""
            {"double_z": true, "z_channels": 4, "resolution": 256, "in_channels": 3, "out_ch": 3, "ch": 128,
             "ch_mult": [1, 2, 4, 4], "num_res_blocks": 2, "attn_resolutions": [], "dropout": 0.0, "unknown": 1}
            """, embedDim: 4, scaleFactor: 0.18215)
        #expect(config == .stableDiffusionKLF8)
        #expect(config.downsamplingFactor == 8)
        #expect(try AutoencoderConfig.fromJSON(config.toJSON()) == config)

        let defaults = try AutoencoderConfig.fromJSON("""
            {"ch": 32, "num_res_blocks": 1, "z_channels": 4, "in_channels": 3, "out_ch": 3, "attn_resolutions": [],
             "embed_dim": 4, "use_linear_attn": true}
            """)
        #expect(defaults.chMult == [1, 2, 4, 8])  // the reference's default
        #expect(defaults.doubleZ && defaults.resampWithConv && !defaults.tanhOut)
        #expect(defaults.attnType == .linear)
        #expect(defaults.scaleFactor == 0.18215)
        #expect(defaults.resolution == nil)
    }

    @Test("invalid configurations are rejected naming the field")
    func rejectsInvalid() throws {
        func rejection(_ edit: (inout AutoencoderConfig) -> Void) -> String {
            var config = smallConfig
            edit(&config)
            return errorMessage { try config.validate() }
        }
        #expect(rejection { $0.ch = 48 }.contains("ch = 48 is not divisible by the 32 GroupNorm groups"))
        #expect(rejection { $0.chMult = [1, 3, 2] } == "no error")  // 96 channels split into 32 groups
        #expect(rejection { $0.ch = 16; $0.chMult = [2, 3] }.contains("ch = 16"))
        #expect(rejection { $0.chMult = [] }.contains("ch_mult"))
        #expect(rejection { $0.chMult = [1, Int.max] }.contains("ch * ch_mult[1]"))
        #expect(rejection { $0.numResBlocks = 0 }.contains("num_res_blocks"))
        #expect(rejection { $0.zChannels = -1 }.contains("z_channels"))
        #expect(rejection { $0.embedDim = 0 }.contains("embed_dim"))
        #expect(rejection { $0.doubleZ = false }.contains("double_z"))
        #expect(rejection { $0.resolution = nil }.contains("needs resolution"))
        #expect(rejection { $0.attnResolutions = [0] }.contains("attn_resolutions"))
        #expect(rejection { $0.scaleFactor = .nan }.contains("scale_factor"))
        #expect(rejection { $0.dropout = 2 }.contains("dropout"))
        #expect(errorMessage { _ = try AutoencoderConfig.fromJSON(#"{"ch": 32}"#) }.contains("missing field num_res_blocks"))
        #expect(errorMessage { _ = try AutoencoderConfig.fromJSON(#"{"ch": "wide"}"#) }.contains("ch"))
        #expect(errorMessage {
            _ = try AutoencoderConfig.fromDDConfig(try smallConfig.toJSON().replacingOccurrences(of: "{", with: #"{"give_pre_end": true, "#),
                                                   embedDim: 4, scaleFactor: 1)
        }.contains("give_pre_end"))
        #expect(errorMessage { _ = try AutoencoderConfig.fromDDConfig("[1]", embedDim: 4, scaleFactor: 1) }.contains("ddconfig"))
        #expect(throws: AutoencoderError.self) { _ = try AutoencoderKL(config: AutoencoderConfig(ch: 0, chMult: [1], numResBlocks: 1, zChannels: 4, embedDim: 4)) }
    }
}
