import Foundation

/// Where training images come from.
public enum DatasetSpec: Codable, Equatable, Sendable {
    /// Fashion-MNIST's training split (Debian's dataset-fashion-mnist, or a folder of the IDX files).
    case fashionMNIST(directory: String?)
    /// A folder with one subfolder of PNG or JPEG images per class.
    case imageFolder(path: String)
    /// A latent folder written by `dimr extract-latents` (autoencoder moments, streamed shard by shard).
    case latents(path: String)

    /// The kind of data set, as `--dataset` names it: `fashion-mnist` or `image folder`.
    public var kind: String {
        switch self {
        case .fashionMNIST: return "fashion-mnist"
        case .imageFolder: return "image folder"
        case .latents: return "latents"
        }
    }

    /// A short description for logs.
    public var description: String {
        switch self {
        case .fashionMNIST(let dir): return "fashion-mnist" + (dir.map { " (\($0))" } ?? "")
        case .imageFolder(let path): return "image folder \(path)"
        case .latents(let path): return "latents \(path)"
        }
    }
}

/// Everything that defines a training run; stored in every checkpoint so a run resumes as it began.
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// The network (DiMR or DiT).
    public var model: NetworkConfig
    /// Loss weight per stage output, low resolution first.
    public var lossCoefficients: [Double]
    /// Input height = width.
    public var imageSize: Int
    /// Training images.
    public var dataset: DatasetSpec
    /// Images per step.
    public var batchSize: Int = 64
    /// Peak learning rate (the authors: 2e-4).
    public var learningRate: Double = 2e-4
    /// AdamW betas (the authors: 0.99, 0.99).
    public var beta1: Double = 0.99
    /// AdamW betas (the authors: 0.99, 0.99).
    public var beta2: Double = 0.99
    /// Decoupled weight decay on all but the `nodecay_*` parameters (the authors: 0.03).
    public var weightDecay: Double = 0.03
    /// Linear warm-up steps: lr * min(step / warmup, 1) (the authors: 5000).
    public var warmupSteps: Int = 5000
    /// EMA decay rate (the authors: 0.9999).
    public var emaRate: Double = 0.9999
    /// Use min(rate, (1 + n) / (10 + n)) instead of a fixed rate, for short runs.
    public var emaWarmup: Bool = false
    /// Clip the gradient norm to this value, if set.
    public var gradClip: Double?
    /// Probability of replacing a label by the null class (classifier-free guidance).
    public var labelDropProbability: Double = 0.1
    /// Random horizontal flips of training images.
    public var randomFlip: Bool = false
    /// Seed of the data order and of the diffusion noise.
    public var seed: UInt64 = 0

    /// A configuration with the authors' optimisation recipe.
    public init(model: NetworkConfig, lossCoefficients: [Double], imageSize: Int, dataset: DatasetSpec) {
        self.model = model
        self.lossCoefficients = lossCoefficients
        self.imageSize = imageSize
        self.dataset = dataset
    }

    /// The class index meaning "no class" (the last one).
    public var nullClass: Int { (model.numClasses ?? 1) - 1 }

    /// Throws when values are out of range, naming the value: counts positive, rates and coefficients
    /// finite and in range, the image size one the model can take.
    public func validate() throws {
        guard let classes = model.numClasses, classes >= 2 else {
            throw PipelineError("training needs a class-conditional model (num_classes >= 2, the last being the null class)")
        }
        try model.validate(imageSize: imageSize)
        guard batchSize > 0 else { throw PipelineError("batch size must be positive, got \(batchSize)") }
        guard learningRate >= 0, learningRate.isFinite else { throw PipelineError("learning rate must be finite and >= 0, got \(learningRate)") }
        guard warmupSteps >= 0 else { throw PipelineError("warm-up steps must be >= 0, got \(warmupSteps)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw PipelineError("weight decay must be finite and >= 0, got \(weightDecay)") }
        for (name, beta) in [("beta1", beta1), ("beta2", beta2)] where !(beta >= 0 && beta < 1) {
            throw PipelineError("AdamW \(name) must be in [0, 1), got \(beta)")
        }
        guard (0...1).contains(emaRate) else { throw PipelineError("EMA rate must be in [0, 1], got \(emaRate)") }
        guard (0...1).contains(labelDropProbability) else {
            throw PipelineError("label drop probability must be in [0, 1], got \(labelDropProbability)")
        }
        guard lossCoefficients.count == model.outputCount else {
            throw PipelineError("\(lossCoefficients.count) loss coefficients for \(model.outputCount) outputs of the network")
        }
        if let bad = lossCoefficients.first(where: { !($0 >= 0 && $0.isFinite) }) {
            throw PipelineError("loss coefficients must be finite and >= 0, got \(bad)")
        }
        guard lossCoefficients.contains(where: { $0 > 0 }) else { throw PipelineError("loss coefficients are all 0: nothing would be trained") }
        if let clip = gradClip, !(clip > 0 && clip.isFinite) { throw PipelineError("gradient clip must be finite and positive, got \(clip)") }
    }

    /// JSON text of the configuration.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Parses JSON text from `json()`.
    public static func parse(_ text: String) throws -> TrainingConfig {
        do {
            return try JSONDecoder().decode(TrainingConfig.self, from: Data(text.utf8))
        } catch {
            throw PipelineError("cannot read the training configuration: \(error)")
        }
    }
}
