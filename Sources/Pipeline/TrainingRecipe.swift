/// Optimisation defaults of `dimr train`: the authors' ImageNet recipe, or one for short runs on small data.
///
/// The authors train for hundreds of thousands of steps: 5,000 warm-up steps and an EMA of rate 0.9999
/// (an average over ~10,000 steps) suit that, but a run of a few thousand steps then samples noise, as its
/// EMA is still mostly the initial weights. The `small` recipe is the one the bundled Fashion-MNIST model
/// was trained with.
public enum TrainingRecipe: String, CaseIterable, Sendable {
    /// The paper's ImageNet recipe: lr 2e-4, 5,000 warm-up steps, EMA 0.9999, no clipping.
    case authors
    /// Short runs (thousands of steps) on small data: lr 1e-3, 100 warm-up steps, EMA 0.999 with EMA warm-up, clip 1.0.
    case small

    /// Peak learning rate.
    public var learningRate: Double { self == .authors ? 2e-4 : 1e-3 }
    /// Linear warm-up steps.
    public var warmupSteps: Int { self == .authors ? 5000 : 100 }
    /// EMA decay rate.
    public var emaRate: Double { self == .authors ? 0.9999 : 0.999 }
    /// Whether the EMA decay warms up as min(rate, (1 + n) / (10 + n)).
    public var emaWarmup: Bool { self == .small }
    /// Gradient-norm clipping, if any.
    public var gradClip: Double? { self == .authors ? nil : 1.0 }

    /// The recipe a model preset is trained with by default: `small` for the Fashion-MNIST and benchmark
    /// presets, `authors` for the paper's presets and for configurations given as a file (nil).
    public static func defaultRecipe(forPreset name: String?) -> TrainingRecipe {
        guard let name else { return .authors }
        return name.lowercased().hasPrefix("dimr-") ? .authors : .small
    }

    /// Sets the recipe's values in `config`.
    public func apply(to config: inout TrainingConfig) {
        config.learningRate = learningRate
        config.warmupSteps = warmupSteps
        config.emaRate = emaRate
        config.emaWarmup = emaWarmup
        config.gradClip = gradClip
    }

    /// One line for logs and help: `lr 0.001, warm-up 100 steps, EMA 0.999 with warm-up, gradient clip 1.0`.
    public var summary: String {
        "lr \(learningRate), warm-up \(warmupSteps) steps, EMA \(emaRate)\(emaWarmup ? " with warm-up" : ""), "
            + "gradient clip \(gradClip.map { "\($0)" } ?? "off")"
    }
}
