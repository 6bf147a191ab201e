import Foundation
import Testing
@testable import DiMR

@Suite("DiMR configuration limits and image sizes")
struct ConfigLimitsTests {
    /// One ConvNeXt stage with the given sizes, as the authors' JSON.
    private func json(maxHeight: String, maxWidth: String, numBlocks: String = "1", dim: String = "8") -> String {
        """
        {"channels": 1, "num_classes": 3, "stage_configs": [{"block_type": "ConvNeXtBlock", "dim": \(dim), "hidden_dim": 8,
         "kernel_size": 3, "num_blocks": \(numBlocks), "max_height": \(maxHeight), "max_width": \(maxWidth),
         "image_input_ratio": 1, "input_feature_ratio": 1, "final_kernel_size": 3, "dropout_prob": 0}]}
        """
    }

    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test("sizes that would overflow are errors naming the field, not traps")
    func absurdSizes() {
        let huge = message { _ = try DiMRConfig.fromJSON(json(maxHeight: "1099511627776", maxWidth: "8")) }
        #expect(huge.contains("stage_configs[0].max_height 1099511627776"), "\(huge)")
        let blocks = message { _ = try DiMRConfig.fromJSON(json(maxHeight: "8", maxWidth: "8", numBlocks: "9223372036854775807")) }
        #expect(blocks.contains("stage_configs[0].num_blocks"), "\(blocks)")
        let negative = message { _ = try DiMRConfig.fromJSON(json(maxHeight: "8", maxWidth: "8", numBlocks: "-1")) }
        #expect(negative.contains("num_blocks must be at least 0"), "\(negative)")
        // Every field within its limit, but 2^20 x 2^20 position embeddings of width 8: 2^43 parameters.
        let params = message { _ = try DiMRConfig.fromJSON(json(maxHeight: "1048576", maxWidth: "1048576")) }
        #expect(params.contains("parameters"), "\(params)")
        let dims = message { _ = try DiMRConfig.fromJSON(json(maxHeight: "8", maxWidth: "8", dim: "1048577")) }
        #expect(dims.contains("dim 1048577"), "\(dims)")
    }

    @Test("the overflow-checked count equals the plain count for every preset")
    func checkedCount() throws {
        for preset in DiMRConfig.presets {
            #expect(preset.config.checkedParameterCount() == preset.config.parameterCount)
            try preset.config.validate()
        }
    }

    @Test("image sizes a configuration can take", arguments: [
        ("fmnist-2r", 32, nil), ("fmnist-2r", 16, nil), ("fmnist-3r", 32, nil), ("fmnist-3r", 16, nil), ("DiMR-XL/2R", 32, nil),
        ("fmnist-2r", 0, "image size must be in"), ("fmnist-2r", 31, "not a multiple of stage_configs[0]"),
        ("fmnist-2r", 64, "larger than its max_height"), ("fmnist-3r", 6, "not a multiple"), ("fmnist-3r", 8, nil),
        ("fmnist-2r", 1 << 40, "image size must be in"),
    ] as [(String, Int, String?)])
    func imageSizes(preset: String, size: Int, error: String?) throws {
        let config = try DiMRConfig.preset(named: preset).config
        let result = message { try config.validate(imageSize: size) }
        if let error {
            #expect(result.contains(error), "\(preset) at \(size): \(result)")
        } else {
            #expect(result == "accepted", "\(preset) at \(size): \(result)")
        }
    }

    @Test("a stage whose grid does not match the one handed up from below is refused")
    func mismatchedCascade() throws {
        var config = DiMRConfig.fashionMNIST2R
        // Stage 1 now sees the image at half resolution (16x16) but stage 0 hands up 16 x 2 = 32.
        config.stageConfigs[1].imageInputRatio = 2
        let result = message { try config.validate(imageSize: 32) }
        #expect(result.contains("stage_configs[1]") && result.contains("hands up"), "\(result)")
    }
}
