import Torch

/// The authors' training objective: noise a batch at uniformly drawn steps, ask the network for
/// the noise at every resolution, and weigh the multi-scale squared errors per sample.
public struct TrainingLoss: Sendable {
    /// The discrete schedule steps are drawn from.
    public let schedule: NoiseSchedule
    /// One weight per network output, lowest resolution first.
    public let coefficients: [Double]
    /// Probability of replacing a label by the null class (classifier-free guidance training).
    public let labelDropProbability: Double

    /// A loss over `schedule` with per-output `coefficients` (lowest resolution first).
    public init(schedule: NoiseSchedule, coefficients: [Double], labelDropProbability: Double = 0.1) {
        precondition(!coefficients.isEmpty, "need one loss coefficient per network output")
        precondition((0...1).contains(labelDropProbability), "label drop probability must lie in [0, 1]")
        self.schedule = schedule
        self.coefficients = coefficients
        self.labelDropProbability = labelDropProbability
    }

    /// A loss with the authors' coefficients for `levels` outputs (`[1/4, 1]`, `[1/16, 1/4, 1]`, ...).
    public init(schedule: NoiseSchedule, levels: Int, labelDropProbability: Double = 0.1) {
        self.init(schedule: schedule, coefficients: MultiScaleLoss.defaultCoefficients(levels: levels),
                  labelDropProbability: labelDropProbability)
    }

    /// Per-sample loss (B) at steps and noise drawn from `generator`: first the steps
    /// (uniform in 1...N), then the standard normal noise, both on the CPU.
    /// - Parameters:
    ///   - x0: clean images (B, C, H, W).
    ///   - classes: int64 labels (B), already dropped to the null class where wanted.
    public func perSample(network: any DenoisingNetwork, x0: Tensor, classes: Tensor,
                          generator: Generator) throws -> Tensor {
        let timesteps = try schedule.sampleTimesteps(x0.size(0), generator: generator)
        let noise = try Tensor.randn(x0.shape, dtype: x0.dtype, generator: generator).to(device: x0.device)
        return try perSample(network: network, x0: x0, classes: classes, noise: noise,
                             timesteps: timesteps.to(device: x0.device))
    }

    /// Per-sample loss (B) for given noise (B, C, H, W) and int64 steps (B) in 1...N.
    public func perSample(network: any DenoisingNetwork, x0: Tensor, classes: Tensor,
                          noise: Tensor, timesteps: Tensor) throws -> Tensor {
        let xn = try schedule.qSample(x0: x0, noise: noise, timesteps: timesteps)   // (B, C, H, W)
        let logSNR = try NoiseSchedule.timeCondition(timesteps)                      // (B)
        let predictions = try network.predict(xn, logSNR: logSNR, classes: classes)
        let targets = try MultiScaleLoss.targets(noise: noise, levels: predictions.count)
        return try MultiScaleLoss.perSample(predictions: predictions, targets: targets, coefficients: coefficients)
    }

    /// Replaces each label by `nullClass` with probability `labelDropProbability`, drawing one
    /// uniform number per label from `generator`.
    public func dropLabels(_ classes: Tensor, nullClass: Int, generator: Generator) throws -> Tensor {
        try Self.dropLabels(classes, nullClass: nullClass, probability: labelDropProbability, generator: generator)
    }

    /// Replaces each label (int64, (B)) by `nullClass` with `probability`, using `generator`.
    public static func dropLabels(_ classes: Tensor, nullClass: Int, probability: Double,
                                  generator: Generator) throws -> Tensor {
        guard classes.rank == 1 else { throw TorchError("labels must be a vector, got shape \(classes.shape)") }
        let draws = try Tensor.rand([classes.size(0)], generator: generator).to(device: classes.device)
        let drop = try draws .< probability
        let null = try Tensor.full(classes.shape, Double(nullClass), dtype: classes.dtype, device: classes.device)
        return try `where`(drop, null, classes)
    }
}
