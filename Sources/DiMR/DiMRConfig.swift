import Foundation
import NN

/// The normalisation used inside blocks (`norm_type` in the authors' configurations).
public enum NormType: String, Codable, Sendable, CaseIterable {
    /// Time-dependent LayerNorm (the authors' `LN`: its weight and bias depend on time).
    case layerNorm = "LN"
    /// RMSNorm with a learned scale, eps 1e-8 added outside the square root.
    case rmsNorm = "RMSN"
    /// RMSNorm whose scale depends on time (the paper's TD-RMSNorm).
    case timeDependentRMSNorm = "TDRMSN"
    /// RMSNorm scaled by `1 + linear(x[:, 0])`, eps 1e-6 inside the square root.
    case adaptiveRMSNorm = "ADARMSN"
}

/// The kind of block a stage stacks (`block_type`).
public enum BlockType: String, Codable, Sendable, CaseIterable {
    /// Self-attention over tokens plus a gated MLP; the stage prepends a class token.
    case transformer = "TransformerBlock"
    /// Depthwise convolution plus a gated MLP on a channels-last feature map.
    case convNeXt = "ConvNeXtBlock"
}

/// One resolution of the cascade, in the authors' field names.
public struct StageConfig: Codable, Sendable, Equatable {
    /// Transformer or ConvNeXt blocks.
    public var blockType: BlockType
    /// Feature width.
    public var dim: Int
    /// Hidden width of the gated MLP.
    public var hiddenDim: Int
    /// Attention heads (Transformer stages).
    public var numAttentionHeads: Int?
    /// Depthwise kernel size (ConvNeXt stages).
    public var kernelSize: Int?
    /// The configured block count; the stage builds `2 * (numBlocks / 2) + 1` blocks.
    public var numBlocks: Int
    /// Largest token-grid height (position-embedding rows).
    public var maxHeight: Int
    /// Largest token-grid width (position-embedding columns).
    public var maxWidth: Int
    /// Area down-sampling of the input image before the stage (1 = none).
    public var imageInputRatio: Int
    /// Patch size of the input convolution.
    public var inputFeatureRatio: Int
    /// Kernel size of the output convolution.
    public var finalKernelSize: Int
    /// Dropout on the residual branches (training only).
    public var dropoutProb: Double

    enum CodingKeys: String, CodingKey {
        case blockType = "block_type", dim, hiddenDim = "hidden_dim", numAttentionHeads = "num_attention_heads"
        case kernelSize = "kernel_size", numBlocks = "num_blocks", maxHeight = "max_height", maxWidth = "max_width"
        case imageInputRatio = "image_input_ratio", inputFeatureRatio = "input_feature_ratio"
        case finalKernelSize = "final_kernel_size", dropoutProb = "dropout_prob"
    }

    /// A stage configuration; `numAttentionHeads` is for Transformer stages, `kernelSize` for ConvNeXt stages.
    public init(blockType: BlockType, dim: Int, hiddenDim: Int, numAttentionHeads: Int? = nil, kernelSize: Int? = nil,
                numBlocks: Int, maxHeight: Int, maxWidth: Int, imageInputRatio: Int = 1, inputFeatureRatio: Int,
                finalKernelSize: Int = 3, dropoutProb: Double = 0) {
        self.blockType = blockType
        self.dim = dim
        self.hiddenDim = hiddenDim
        self.numAttentionHeads = numAttentionHeads
        self.kernelSize = kernelSize
        self.numBlocks = numBlocks
        self.maxHeight = maxHeight
        self.maxWidth = maxWidth
        self.imageInputRatio = imageInputRatio
        self.inputFeatureRatio = inputFeatureRatio
        self.finalKernelSize = finalKernelSize
        self.dropoutProb = dropoutProb
    }

    /// Blocks actually built: always odd, so that the skips pair up around a middle block.
    public var builtBlocks: Int { numBlocks / 2 * 2 + 1 }

    /// Width of the features this stage hands to the next one: its input tokens plus every block's output.
    public var skipWidth: Int { dim * (numBlocks / 2 * 2 + 2) }
}

/// A DiMR model configuration, decoded from (and encoded to) the authors' JSON field names.
public struct DiMRConfig: JSONConfiguration, Sendable, Equatable {
    /// Image (or latent) channels.
    public var channels: Int
    /// Number of classes including the null class; nil builds an unconditional model.
    public var numClasses: Int?
    /// Block normalisation; the authors default to `LN` when absent.
    public var normType: NormType
    /// Whether a stage's features reach the next stage without gradient.
    public var blockGradToLowres: Bool
    /// Position encoding; only the learned absolute embeddings (`APE`) are supported.
    public var peType: String?
    /// Stages from the lowest resolution to the highest.
    public var stageConfigs: [StageConfig]

    enum CodingKeys: String, CodingKey {
        case channels, numClasses = "num_classes", normType = "norm_type", blockGradToLowres = "block_grad_to_lowres"
        case peType = "pe_type", stageConfigs = "stage_configs"
    }

    /// A configuration from its parts.
    public init(channels: Int, numClasses: Int?, normType: NormType,
                blockGradToLowres: Bool = false, peType: String? = nil, stageConfigs: [StageConfig]) {
        self.channels = channels
        self.numClasses = numClasses
        self.normType = normType
        self.blockGradToLowres = blockGradToLowres
        self.peType = peType
        self.stageConfigs = stageConfigs
    }

    /// Decodes the authors' fields; `norm_type` defaults to `LN` and `block_grad_to_lowres` to false, as in their code.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        channels = try c.decode(Int.self, forKey: .channels)
        numClasses = try c.decodeIfPresent(Int.self, forKey: .numClasses)
        normType = try c.decodeIfPresent(NormType.self, forKey: .normType) ?? .layerNorm
        blockGradToLowres = try c.decodeIfPresent(Bool.self, forKey: .blockGradToLowres) ?? false
        peType = try c.decodeIfPresent(String.self, forKey: .peType)
        stageConfigs = try c.decode([StageConfig].self, forKey: .stageConfigs)
    }

    /// The error for JSON that does not decode (`JSONConfiguration.fromJSON`).
    public static func invalidJSON(_ reason: String) -> any Error {
        DiMRError("invalid DiMR configuration JSON: \(reason)")
    }

    /// The input width of each stage's up-sampling path (nil for the first stage).
    public var lowresWidths: [Int?] { [nil] + stageConfigs.dropLast().map { $0.skipWidth } }

    /// Checks everything the network needs to be built; throws a message naming the offending field.
    ///
    /// Besides the fields' meaning, sizes are bounded (`maxFieldValue` per field, `maxParameterCount` in all)
    /// so that no shape or count computed from the configuration overflows.
    public func validate() throws {
        func fail(_ message: String) -> DiMRError { DiMRError("invalid DiMR configuration: \(message)") }
        guard channels > 0 else { throw fail("channels must be positive, got \(channels)") }
        if let n = numClasses, n <= 0 { throw fail("num_classes must be positive, got \(n)") }
        try validateFieldSizes()
        if let pe = peType, pe != "APE" {
            throw fail("pe_type \(pe) is not supported (only APE, the learned absolute position embeddings)")
        }
        guard !stageConfigs.isEmpty else { throw fail("stage_configs is empty") }
        for (i, s) in stageConfigs.enumerated() {
            let at = "stage_configs[\(i)]"
            for (name, value) in [("dim", s.dim), ("hidden_dim", s.hiddenDim),
                                  ("max_height", s.maxHeight), ("max_width", s.maxWidth),
                                  ("image_input_ratio", s.imageInputRatio), ("input_feature_ratio", s.inputFeatureRatio),
                                  ("final_kernel_size", s.finalKernelSize)] where value <= 0 {
                throw fail("\(at).\(name) must be positive, got \(value)")
            }
            guard s.numBlocks >= 0 else { throw fail("\(at).num_blocks must be at least 0, got \(s.numBlocks)") }
            guard s.dropoutProb >= 0 && s.dropoutProb < 1 else { throw fail("\(at).dropout_prob must be in [0, 1)") }
            switch s.blockType {
            case .transformer:
                guard let heads = s.numAttentionHeads, heads > 0 else {
                    throw fail("\(at) is a TransformerBlock stage without num_attention_heads")
                }
                guard s.dim % heads == 0 else { throw fail("\(at).dim \(s.dim) is not divisible by \(heads) heads") }
            case .convNeXt:
                guard let k = s.kernelSize, k > 0 else { throw fail("\(at) is a ConvNeXtBlock stage without kernel_size") }
            }
            if i > 0 {
                let low = stageConfigs[i - 1]
                guard s.maxHeight % low.maxHeight == 0, s.maxHeight >= low.maxHeight else {
                    throw fail("\(at).max_height \(s.maxHeight) is not a multiple of the previous stage's \(low.maxHeight)")
                }
            }
        }
        try validateParameterCount()
    }
}

/// Errors of the DiMR model layer (configuration, inputs, checkpoints).
public struct DiMRError: Error, CustomStringConvertible, Equatable {
    /// What went wrong.
    public let message: String

    /// Creates an error with a message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
