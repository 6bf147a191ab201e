import Testing
@testable import DiMR

@Suite("model FLOPs counted from the configuration")
struct FLOPsTests {
    /// 4x4 one-channel images, 3 classes: a Transformer stage on a 1x1 grid (plus the class token: 2 tokens),
    /// then a ConvNeXt stage on the 4x4 grid with 3 blocks and one long skip.
    private func tiny(_ norm: NormType) throws -> DiMRConfig {
        let config = DiMRConfig(channels: 1, numClasses: 3, normType: norm, stageConfigs: [
            StageConfig(blockType: .transformer, dim: 4, hiddenDim: 6, numAttentionHeads: 2, numBlocks: 1,
                        maxHeight: 2, maxWidth: 2, imageInputRatio: 2, inputFeatureRatio: 2, finalKernelSize: 3),
            StageConfig(blockType: .convNeXt, dim: 2, hiddenDim: 3, kernelSize: 3, numBlocks: 2,
                        maxHeight: 4, maxWidth: 4, imageInputRatio: 1, inputFeatureRatio: 1, finalKernelSize: 1),
        ])
        try config.validate()
        return config
    }

    @Test("a tiny two-stage configuration matches its count by hand")
    func handCount() throws {
        // Stage 0 (1 cell, 2 tokens, dim 4, hidden 6):
        //   patchify 2*1*(1*2*2)*4 = 32; one block: qkv 2*2*4*12 = 192, scores + values 2*(2*2*2*4) = 64,
        //   dense 2*2*4*4 = 64, MLP 2*(2*2*4*6) + 2*2*6*4 = 288; output conv 2*1*(4*3*3)*1 = 72.  Sum 712.
        // Stage 1 (16 cells, dim 2, hidden 3, kernel 3):
        //   patchify 2*16*1*2 = 64; up-sampling Linear from the 1 low cell, width 4*2 = 8 -> 2*2*2: 2*1*8*8 = 128;
        //   three blocks of depthwise 2*16*2*9 = 576 and MLP 2*(2*16*2*3) + 2*16*3*2 = 576: 3456;
        //   one skip fusion 2*16*4*2 = 256; output conv 2*16*2*1 = 64.  Sum 3968.
        #expect(try tiny(.timeDependentRMSNorm).flopsPerForward(imageSize: 4) == 712 + 3968)
        // AdaRMSNorm adds a dim x dim Linear per norm: stage 0 has 2 norms on 1 row (2*1*4*4 each),
        // stage 1 one norm per block on a 4-cell image row (2*4*2*2 each, 3 blocks): 64 + 96.
        #expect(try tiny(.adaptiveRMSNorm).flopsPerForward(imageSize: 4) == 712 + 3968 + 64 + 96)
    }

    @Test("fmnist-3r agrees with PyTorch's FLOP counter on the authors' model, plus attention")
    func authorsCount() throws {
        // torch.utils.flop_counter.FlopCounterMode (torch 2.13) around one forward of one 1x32x32 image through the
        // authors' MRModel in this configuration counted 256,491,520 FLOPs in convolution, mm and addmm, and nothing
        // for the CPU attention kernel; attention's two products add 5 blocks x 2 x 2 x 65^2 tokens x 128 = 10,816,000.
        let preset = try DiMRConfig.preset(named: "fmnist-3r")
        #expect(preset.config.flopsPerForward(imageSize: preset.imageSize) == 256_491_520 + 10_816_000)
    }

    @Test("the count grows with the image area on ConvNeXt stages")
    func scalesWithArea() throws {
        // One ConvNeXt stage has no attention: every term is per cell, so 4x the cells is exactly 4x the FLOPs.
        let single = DiMRConfig(channels: 1, numClasses: 3, normType: .rmsNorm, stageConfigs: [
            StageConfig(blockType: .convNeXt, dim: 8, hiddenDim: 16, kernelSize: 7, numBlocks: 3,
                        maxHeight: 32, maxWidth: 32, imageInputRatio: 1, inputFeatureRatio: 1, finalKernelSize: 3),
        ])
        #expect(single.flopsPerForward(imageSize: 32) == 4 * single.flopsPerForward(imageSize: 16))
    }
}
