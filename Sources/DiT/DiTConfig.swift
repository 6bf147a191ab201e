import Foundation
import NN

/// A DiT: a single-resolution Transformer on image patches with adaLN-Zero conditioning (Peebles & Xie,
/// "Scalable Diffusion Models with Transformers", 2023, section 3.2), the baseline the DiMR paper compares
/// against. Field names follow the reference `DiT` constructor (`input_size`, `patch_size`, `hidden_size`, ...);
/// `model_type` tells a DiT configuration from a DiMR one in a checkpoint.
///
/// The network predicts noise only (the reference's `learn_sigma=False`) and has one embedding row per class
/// including the null class, as the DiMR configurations count them (`num_classes` = classes + 1).
public struct DiTConfig: JSONConfiguration, Equatable, Sendable {
    /// Always `"DiT"`.
    public var modelType: String = DiTConfig.modelTypeName
    /// Image channels in and out.
    public var channels: Int
    /// Embedding rows: the classes plus the null class of classifier-free guidance.
    public var numClasses: Int
    /// Input height = width (`input_size`).
    public var inputSize: Int
    /// Side of the square patches (`patch_size`); the Transformer sees (inputSize / patchSize)^2 tokens.
    public var patchSize: Int
    /// Token width (`hidden_size`).
    public var hiddenSize: Int
    /// Number of DiT blocks (`depth`).
    public var depth: Int
    /// Attention heads (`num_heads`); must divide `hiddenSize`.
    public var numHeads: Int
    /// MLP hidden width as a multiple of `hiddenSize` (`mlp_ratio`, 4 in the reference).
    public var mlpRatio: Double = 4
    /// Width of the sinusoidal timestep features (`frequency_embedding_size`, 256 in the reference).
    public var frequencyEmbeddingSize: Int = 256

    /// The `model_type` value of DiT configurations.
    public static let modelTypeName = "DiT"
    /// Largest value accepted for any size field (keeps every derived count far from overflow).
    public static let maxFieldValue = 1 << 16

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", channels, numClasses = "num_classes", inputSize = "input_size"
        case patchSize = "patch_size", hiddenSize = "hidden_size", depth, numHeads = "num_heads"
        case mlpRatio = "mlp_ratio", frequencyEmbeddingSize = "frequency_embedding_size"
    }

    /// A configuration; call `validate()` before building.
    public init(channels: Int, numClasses: Int, inputSize: Int, patchSize: Int, hiddenSize: Int, depth: Int,
                numHeads: Int, mlpRatio: Double = 4, frequencyEmbeddingSize: Int = 256) {
        self.channels = channels
        self.numClasses = numClasses
        self.inputSize = inputSize
        self.patchSize = patchSize
        self.hiddenSize = hiddenSize
        self.depth = depth
        self.numHeads = numHeads
        self.mlpRatio = mlpRatio
        self.frequencyEmbeddingSize = frequencyEmbeddingSize
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decode(String.self, forKey: .modelType)
        channels = try c.decode(Int.self, forKey: .channels)
        numClasses = try c.decode(Int.self, forKey: .numClasses)
        inputSize = try c.decode(Int.self, forKey: .inputSize)
        patchSize = try c.decode(Int.self, forKey: .patchSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        depth = try c.decode(Int.self, forKey: .depth)
        numHeads = try c.decode(Int.self, forKey: .numHeads)
        mlpRatio = try c.decodeIfPresent(Double.self, forKey: .mlpRatio) ?? 4
        frequencyEmbeddingSize = try c.decodeIfPresent(Int.self, forKey: .frequencyEmbeddingSize) ?? 256
    }

    /// Tokens per image: (inputSize / patchSize)^2.
    public var tokenCount: Int { (inputSize / patchSize) * (inputSize / patchSize) }
    /// Hidden width of the MLP: `Int(hiddenSize * mlpRatio)`, as the reference rounds it.
    public var mlpHiddenSize: Int { Int(Double(hiddenSize) * mlpRatio) }
    /// Values per token the final layer writes: patchSize^2 x channels.
    public var patchValues: Int { patchSize * patchSize * channels }

    /// Checks every field; throws `DiTError` naming the first bad one.
    public func validate() throws {
        func fail(_ message: String) -> DiTError { DiTError("invalid DiT configuration: \(message)") }
        guard modelType == Self.modelTypeName else { throw fail("model_type must be \(Self.modelTypeName), got \(modelType)") }
        for (name, value) in [("channels", channels), ("num_classes", numClasses), ("input_size", inputSize),
                              ("patch_size", patchSize), ("hidden_size", hiddenSize), ("depth", depth),
                              ("num_heads", numHeads), ("frequency_embedding_size", frequencyEmbeddingSize)] {
            guard (1...Self.maxFieldValue).contains(value) else { throw fail("\(name) must be in 1...\(Self.maxFieldValue), got \(value)") }
        }
        guard numClasses >= 2 else { throw fail("num_classes must count at least one class and the null class, got \(numClasses)") }
        guard inputSize % patchSize == 0 else { throw fail("input_size \(inputSize) is not a multiple of patch_size \(patchSize)") }
        guard hiddenSize % numHeads == 0 else { throw fail("hidden_size \(hiddenSize) is not divisible by num_heads \(numHeads)") }
        guard hiddenSize % 4 == 0 else { throw fail("hidden_size must be a multiple of 4 for the 2-D position embedding, got \(hiddenSize)") }
        guard frequencyEmbeddingSize % 2 == 0 else { throw fail("frequency_embedding_size must be even, got \(frequencyEmbeddingSize)") }
        guard mlpRatio.isFinite, mlpRatio > 0, mlpRatio <= 64, mlpHiddenSize >= 1 else {
            throw fail("mlp_ratio must be in (0, 64] and give a hidden width of at least 1, got \(mlpRatio)")
        }
        guard parameterCount <= 1 << 34 else { throw fail("\(parameterCount) parameters is more than this build handles") }
    }

    /// The error for JSON that does not decode (`JSONConfiguration.fromJSON`).
    public static func invalidJSON(_ reason: String) -> any Error {
        DiTError("invalid DiT configuration JSON: \(reason)")
    }
}
