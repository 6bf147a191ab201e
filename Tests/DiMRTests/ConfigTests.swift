import Foundation
import Testing
@testable import DiMR
import Torch

@Suite("DiMR configuration")
struct ConfigTests {
    @Test("decodes the authors' JSON field names and encodes them back")
    func decodesAuthorsJSON() throws {
        let json = """
            {"channels": 4, "num_classes": 11, "block_grad_to_lowres": true, "norm_type": "ADARMSN",
             "stage_configs": [
               {"block_type": "TransformerBlock", "dim": 64, "hidden_dim": 128, "num_attention_heads": 4, "num_blocks": 3,
                "max_height": 16, "max_width": 16, "image_input_ratio": 1, "input_feature_ratio": 2,
                "final_kernel_size": 3, "dropout_prob": 0},
               {"block_type": "ConvNeXtBlock", "dim": 32, "hidden_dim": 64, "kernel_size": 7, "num_blocks": 4,
                "max_height": 32, "max_width": 32, "image_input_ratio": 1, "input_feature_ratio": 1,
                "final_kernel_size": 3, "dropout_prob": 0.1}]}
            """
        let config = try DiMRConfig.fromJSON(json)
        #expect(config.channels == 4)
        #expect(config.numClasses == 11)
        #expect(config.blockGradToLowres)
        #expect(config.normType == .adaptiveRMSNorm)
        #expect(config.peType == nil)
        #expect(config.stageConfigs[0].blockType == .transformer)
        #expect(config.stageConfigs[0].numAttentionHeads == 4)
        #expect(config.stageConfigs[1].kernelSize == 7)
        #expect(config.stageConfigs[1].dropoutProb == 0.1)
        #expect(config.stageConfigs[1].builtBlocks == 5)
        #expect(config.stageConfigs[0].skipWidth == 64 * 4)
        let again = try DiMRConfig.fromJSON(try config.toJSON())
        #expect(again == config)
        #expect(try config.toJSON().contains("\"stage_configs\""))
    }

    @Test("norm_type defaults to LN as in the authors' code")
    func normDefault() throws {
        let json = """
            {"channels": 1, "stage_configs": [{"block_type": "ConvNeXtBlock", "dim": 8, "hidden_dim": 8, "kernel_size": 3,
             "num_blocks": 1, "max_height": 8, "max_width": 8, "image_input_ratio": 1, "input_feature_ratio": 1,
             "final_kernel_size": 3, "dropout_prob": 0}]}
            """
        let config = try DiMRConfig.fromJSON(json)
        #expect(config.normType == .layerNorm)
        #expect(config.numClasses == nil)
        #expect(!config.blockGradToLowres)
    }

    @Test("invalid configurations are rejected with the field named")
    func rejectsInvalid() throws {
        var config = DiMRConfig.fashionMNIST2R
        config.stageConfigs[0].numAttentionHeads = 3
        #expect(throws: DiMRError.self) { try config.validate() }
        do { try config.validate() } catch let e as DiMRError { #expect(e.message.contains("stage_configs[0].dim")) }

        config = DiMRConfig.fashionMNIST2R
        config.stageConfigs[1].kernelSize = nil
        #expect(throws: DiMRError.self) { try config.validate() }

        config = DiMRConfig.fashionMNIST2R
        config.peType = "Axial_RoPE"
        #expect(throws: DiMRError.self) { try config.validate() }

        config = DiMRConfig.fashionMNIST2R
        config.stageConfigs[1].maxHeight = 24
        #expect(throws: DiMRError.self) { try config.validate() }

        do {
            _ = try DiMRConfig.fromJSON(#"{"channels": 1}"#)
            Issue.record("a configuration without stage_configs was accepted")
        } catch let e as DiMRError {
            #expect(e.message.contains("stage_configs"))
        }
        #expect(throws: DiMRError.self) { try DiMRConfig.fromJSON(#"{"channels": 1, "norm_type": "BN", "stage_configs": []}"#) }
    }

    @Test("paper presets have the authors' parameter and state-dict counts")
    func paperPresetCounts() throws {
        #expect(DiMRConfig.xl2R.parameterCount == 505_046_408)
        #expect(DiMRConfig.xl2R.stateDictCount == 1_018)
        #expect(DiMRConfig.g2R.parameterCount == 1_056_352_904)
        #expect(DiMRConfig.g2R.stateDictCount == 1_446)
        #expect(DiMRConfig.benchmark.parameterCount == 8_591_106)
        #expect(try DiMRConfig.preset(named: "dimr-xl/2r").config == DiMRConfig.xl2R)
        #expect(try DiMRConfig.preset(named: "DiMR-G/2R").config == DiMRConfig.g2R)
        #expect(throws: DiMRError.self) { try DiMRConfig.preset(named: "DiMR-XXL") }
    }

    @Test("the shape listing matches the built module, name for name", arguments: [
        "fmnist-2r", "fmnist-3r", "bench",
    ])
    func shapesMatchModule(preset: String) throws {
        let config = try DiMRConfig.preset(named: preset).config
        try expectShapesMatch(config)
    }

    @Test("the shape listing matches the built module for every norm and for unconditional models",
          arguments: NormType.allCases)
    func shapesMatchModuleForNorms(norm: NormType) throws {
        var config = DiMRConfig.fashionMNIST3R
        config.normType = norm
        try expectShapesMatch(config)
        config.numClasses = nil
        try expectShapesMatch(config)
    }

    private func expectShapesMatch(_ config: DiMRConfig) throws {
        let model = try DiMRModel(config: config, generator: Generator(seed: 0))
        let built = model.namedParameters().map { ($0.name, $0.parameter.tensor.shape) }
        let listed = config.parameterShapes()
        #expect(built.map(\.0) == listed.map(\.name))
        #expect(built.map(\.1) == listed.map(\.shape))
        #expect(model.parameterCount == config.parameterCount)
        #expect(model.stateDict().count == config.stateDictCount)
    }

    @Test("stage summaries give grids, outputs and per-stage counts that add up")
    func summaries() throws {
        let summaries = DiMRConfig.xl2R.stageSummaries(imageSize: 32)
        #expect(summaries.count == 2)
        #expect(summaries[0].grid == (16, 16))
        #expect(summaries[0].tokens == 257)
        #expect(summaries[0].outputShape == [4, 16, 16])
        #expect(summaries[0].handoffWidth == 960 * 40)
        #expect(summaries[1].outputShape == [4, 32, 32])
        #expect(summaries[1].handoffWidth == nil)
        #expect(summaries.reduce(0) { $0 + $1.parameterCount } == 505_046_408)
        let three = DiMRConfig.fashionMNIST3R.stageSummaries(imageSize: 32)
        #expect(three.map(\.outputShape) == [[1, 8, 8], [1, 16, 16], [1, 32, 32]])
    }
}
