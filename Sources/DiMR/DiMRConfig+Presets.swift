import Foundation

/// Named model configurations: the paper's ImageNet models and small ones for Fashion-MNIST and benchmarks.
extension DiMRConfig {
    /// A named configuration with the image size it is meant for.
    public struct Preset: Sendable {
        /// The name `dimr info --preset` and the CLI accept.
        public let name: String
        /// One line on what the preset is for.
        public let summary: String
        /// Input height = width (latent side for the ImageNet models).
        public let imageSize: Int
        /// Loss weight per stage output, low resolution first.
        public let lossCoefficients: [Double]
        /// The model configuration.
        public let config: DiMRConfig
    }

    /// DiMR-XL/2R (ImageNet 256, latents 4x32x32): 505,046,408 parameters.
    public static let xl2R = DiMRConfig(
        channels: 4, numClasses: 1001, normType: .timeDependentRMSNorm, blockGradToLowres: false,
        stageConfigs: [
            StageConfig(blockType: .transformer, dim: 960, hiddenDim: 1920, numAttentionHeads: 16, numBlocks: 39,
                        maxHeight: 16, maxWidth: 16, imageInputRatio: 1, inputFeatureRatio: 2, finalKernelSize: 3),
            StageConfig(blockType: .convNeXt, dim: 480, hiddenDim: 960, kernelSize: 7, numBlocks: 20,
                        maxHeight: 32, maxWidth: 32, imageInputRatio: 1, inputFeatureRatio: 1, finalKernelSize: 3),
        ])

    /// DiMR-G/2R (ImageNet 256, latents 4x32x32): 1,056,352,904 parameters.
    public static let g2R = DiMRConfig(
        channels: 4, numClasses: 1001, normType: .timeDependentRMSNorm, blockGradToLowres: false,
        stageConfigs: [
            StageConfig(blockType: .transformer, dim: 1152, hiddenDim: 2304, numAttentionHeads: 16, numBlocks: 57,
                        maxHeight: 16, maxWidth: 16, imageInputRatio: 1, inputFeatureRatio: 2, finalKernelSize: 3),
            StageConfig(blockType: .convNeXt, dim: 576, hiddenDim: 1152, kernelSize: 7, numBlocks: 29,
                        maxHeight: 32, maxWidth: 32, imageInputRatio: 1, inputFeatureRatio: 1, finalKernelSize: 3),
        ])

    /// Two resolutions for 1x32x32 Fashion-MNIST (10 classes + null): Transformer at 16x16, ConvNeXt at 32x32.
    public static let fashionMNIST2R = DiMRConfig(
        channels: 1, numClasses: 11, normType: .timeDependentRMSNorm, blockGradToLowres: false,
        stageConfigs: [
            StageConfig(blockType: .transformer, dim: 128, hiddenDim: 256, numAttentionHeads: 4, numBlocks: 5,
                        maxHeight: 16, maxWidth: 16, imageInputRatio: 1, inputFeatureRatio: 2, finalKernelSize: 3),
            StageConfig(blockType: .convNeXt, dim: 64, hiddenDim: 128, kernelSize: 7, numBlocks: 3,
                        maxHeight: 32, maxWidth: 32, imageInputRatio: 1, inputFeatureRatio: 1, finalKernelSize: 3),
        ])

    /// Three resolutions for 1x32x32 Fashion-MNIST: Transformer at 8x8, ConvNeXt at 16x16 and at 32x32.
    public static let fashionMNIST3R = DiMRConfig(
        channels: 1, numClasses: 11, normType: .timeDependentRMSNorm, blockGradToLowres: false,
        stageConfigs: [
            StageConfig(blockType: .transformer, dim: 128, hiddenDim: 256, numAttentionHeads: 4, numBlocks: 5,
                        maxHeight: 8, maxWidth: 8, imageInputRatio: 2, inputFeatureRatio: 2, finalKernelSize: 3),
            StageConfig(blockType: .convNeXt, dim: 64, hiddenDim: 128, kernelSize: 7, numBlocks: 3,
                        maxHeight: 16, maxWidth: 16, imageInputRatio: 2, inputFeatureRatio: 1, finalKernelSize: 3),
            StageConfig(blockType: .convNeXt, dim: 32, hiddenDim: 64, kernelSize: 7, numBlocks: 3,
                        maxHeight: 32, maxWidth: 32, imageInputRatio: 1, inputFeatureRatio: 1, finalKernelSize: 3),
        ])

    /// The training-step benchmark model (1x32x32, 11 classes): 8,591,106 parameters.
    public static let benchmark = DiMRConfig(
        channels: 1, numClasses: 11, normType: .timeDependentRMSNorm, blockGradToLowres: false,
        stageConfigs: [
            StageConfig(blockType: .transformer, dim: 256, hiddenDim: 512, numAttentionHeads: 4, numBlocks: 9,
                        maxHeight: 16, maxWidth: 16, imageInputRatio: 1, inputFeatureRatio: 2, finalKernelSize: 3),
            StageConfig(blockType: .convNeXt, dim: 128, hiddenDim: 256, kernelSize: 7, numBlocks: 5,
                        maxHeight: 32, maxWidth: 32, imageInputRatio: 1, inputFeatureRatio: 1, finalKernelSize: 3),
        ])

    /// Every named preset.
    public static let presets: [Preset] = [
        Preset(name: "DiMR-XL/2R", summary: "the paper's XL model for ImageNet 256, on 4x32x32 latents", imageSize: 32,
               lossCoefficients: [0.25, 1], config: xl2R),
        Preset(name: "DiMR-G/2R", summary: "the paper's G model for ImageNet 256, on 4x32x32 latents", imageSize: 32,
               lossCoefficients: [0.25, 1], config: g2R),
        Preset(name: "fmnist-2r", summary: "Fashion-MNIST 1x32x32, two resolutions", imageSize: 32,
               lossCoefficients: [0.25, 1], config: fashionMNIST2R),
        Preset(name: "fmnist-3r", summary: "Fashion-MNIST 1x32x32, three resolutions", imageSize: 32,
               lossCoefficients: [1.0 / 16, 0.25, 1], config: fashionMNIST3R),
        Preset(name: "bench", summary: "the training-step benchmark model, 1x32x32", imageSize: 32,
               lossCoefficients: [0.25, 1], config: benchmark),
        Preset(name: "fmnist-3r-tdln", summary: "fmnist-3r with time-dependent LayerNorm (the study's TD-LN row)", imageSize: 32,
               lossCoefficients: [1.0 / 16, 0.25, 1], config: fashionMNIST3R.withNorm(.layerNorm)),
        Preset(name: "fmnist-3r-adarmsn", summary: "fmnist-3r with AdaRMSNorm (the study's adaLN-style row)", imageSize: 32,
               lossCoefficients: [1.0 / 16, 0.25, 1], config: fashionMNIST3R.withNorm(.adaptiveRMSNorm)),
        Preset(name: "fmnist-3r-rmsn", summary: "fmnist-3r with plain RMSNorm, no time in the norms (the study's ablation)", imageSize: 32,
               lossCoefficients: [1.0 / 16, 0.25, 1], config: fashionMNIST3R.withNorm(.rmsNorm)),
    ]

    /// This configuration with every block's norm of another type.
    public func withNorm(_ type: NormType) -> DiMRConfig {
        var copy = self
        copy.normType = type
        return copy
    }

    /// The preset with this name (case-insensitive; `_` and `-` alike).
    public static func preset(named name: String) throws -> Preset {
        func key(_ s: String) -> String { s.lowercased().replacingOccurrences(of: "_", with: "-") }
        guard let match = presets.first(where: { key($0.name) == key(name) }) else {
            throw DiMRError("unknown preset \(name); known presets: \(presets.map(\.name).joined(separator: ", "))")
        }
        return match
    }
}
