import DiMR
import Foundation
import Pipeline
import TestSupport
import Torch

/// A two-stage model small enough to train in a test: 1x8x8 images, 3 classes + null.
func tinyConfig(norm: NormType = .timeDependentRMSNorm) -> DiMRConfig {
    DiMRConfig(channels: 1, numClasses: 4, normType: norm, stageConfigs: [
        StageConfig(blockType: .transformer, dim: 16, hiddenDim: 32, numAttentionHeads: 2, numBlocks: 1,
                    maxHeight: 4, maxWidth: 4, inputFeatureRatio: 2),
        StageConfig(blockType: .convNeXt, dim: 8, hiddenDim: 16, kernelSize: 3, numBlocks: 1,
                    maxHeight: 8, maxWidth: 8, inputFeatureRatio: 1),
    ])
}

/// A training configuration of the tiny model with a short warm-up.
func tinyTrainingConfig(dataset: DatasetSpec = .imageFolder(path: "unused")) -> TrainingConfig {
    var c = TrainingConfig(model: .dimr(tinyConfig()), lossCoefficients: [0.25, 1], imageSize: 8, dataset: dataset)
    c.batchSize = 4
    c.learningRate = 1e-3
    c.warmupSteps = 3
    c.emaWarmup = true
    c.seed = 7
    return c
}

/// 24 random images in [-1, 1] (1x8x8) with labels 0...2.
func tinyData() throws -> (Tensor, Tensor) {
    let g = try Generator(seed: 3)
    let images = try (Tensor.rand([24, 1, 8, 8], generator: g) * 2 - 1)
    let labels = try Tensor((0..<24).map { Int64($0 % 3) })
    return (images, labels)
}

/// A fresh empty folder, removed when the test process exits.
func temporaryFolder(_ name: String = #function) throws -> String {
    try ScratchFolder.make(name)
}
