import Torch

/// A deterministic diffusion sampler: turns initial noise into samples with a `NoisePredictor`.
public protocol Sampler: Sendable {
    /// Display name, e.g. `DDIM (time-uniform)`.
    var name: String { get }
    /// Solver steps the loop makes.
    var stepCount: Int { get }
    /// Denoiser calls per image (each costs `Guidance.passesPerCall` network passes).
    var denoiserCalls: Int { get }
    /// Starts a denoising loop from `noise` (B, C, H, W) at the start time.
    func makeLoop(predictor: any NoisePredictor, noise: Tensor) throws -> DenoisingLoop
}

extension Sampler {
    /// A loop sampling `network` for `classes` (int64 (B)) with a guidance rule.
    public func loop(network: any DenoisingNetwork, noise: Tensor, classes: Tensor, nullClass: Int,
                     guidance: Guidance = .none) throws -> DenoisingLoop {
        let predictor = try GuidedDenoiser(network: network, classes: classes, nullClass: nullClass, guidance: guidance)
        return try makeLoop(predictor: predictor, noise: noise)
    }

    /// Samples `network` for `classes` from `noise` in one call; returns (B, C, H, W).
    public func sample(network: any DenoisingNetwork, noise: Tensor, classes: Tensor, nullClass: Int,
                       guidance: Guidance = .none) throws -> Tensor {
        try loop(network: network, noise: noise, classes: classes, nullClass: nullClass, guidance: guidance).run()
    }

    /// Samples from `noise` with any noise predictor in one call.
    public func sample(predictor: any NoisePredictor, noise: Tensor) throws -> Tensor {
        try makeLoop(predictor: predictor, noise: noise).run()
    }

    /// What a run with `guidance` does and costs, for display.
    public func summary(guidance: Guidance) -> SamplingSummary {
        SamplingSummary(sampler: name, solverSteps: stepCount, denoiserCalls: denoiserCalls, guidance: guidance)
    }
}

/// A description of a sampling run: solver, guidance and cost.
public struct SamplingSummary: Sendable, Equatable, CustomStringConvertible {
    /// The sampler's display name.
    public let sampler: String
    /// Solver steps.
    public let solverSteps: Int
    /// Denoiser calls per image.
    public let denoiserCalls: Int
    /// The guidance rule.
    public let guidance: Guidance

    /// Network passes per image: one per denoiser call, two when guided.
    public var networkEvaluationsPerImage: Int { denoiserCalls * guidance.passesPerCall }

    /// The multi-line text a CLI prints.
    public var description: String {
        """
        sampler: \(sampler), \(solverSteps) steps, \(denoiserCalls) denoiser calls
        guidance: \(guidance)
        network evaluations per image: \(networkEvaluationsPerImage)\
        \(guidance.passesPerCall > 1 ? " (conditional and unconditional in one batch)" : "")
        """
    }
}
