/// A learning rate as a function of the optimizer step.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for the update made after `step` completed updates (0 for the first update).
    func learningRate(atStep step: Int) -> Double
}

/// Linear warm-up to a constant: `base * min(step / warmupSteps, 1)`, as the DiMR authors'
/// `LambdaLR` rule, so the first update (step 0) has learning rate 0. No warm-up when `warmupSteps <= 0`.
public struct LinearWarmup: LearningRateSchedule, Codable, Equatable {
    /// The learning rate after warm-up.
    public var baseLearningRate: Double
    /// Number of steps of the linear ramp.
    public var warmupSteps: Int

    /// A warm-up over `warmupSteps` steps to `baseLearningRate`.
    public init(baseLearningRate: Double, warmupSteps: Int) {
        self.baseLearningRate = baseLearningRate
        self.warmupSteps = warmupSteps
    }

    /// `base * min(step / warmupSteps, 1)`.
    public func learningRate(atStep step: Int) -> Double {
        guard warmupSteps > 0 else { return baseLearningRate }
        return baseLearningRate * min(Double(step) / Double(warmupSteps), 1)
    }
}
