import Torch

/// A diffusion sampler: turns initial noise into samples with a `NoisePredictor`.
///
/// Deterministic samplers ignore the image indices; stochastic ones draw each image's noise from a
/// generator seeded by its index, so an image does not depend on how images are batched.
public protocol Sampler: Sendable {
    /// Display name, e.g. `DDIM (time-uniform)`.
    var name: String { get }
    /// Solver steps the loop makes.
    var stepCount: Int { get }
    /// Denoiser calls per image (each costs one network pass, two when guided).
    var denoiserCalls: Int { get }
    /// The time (0...1000) of each denoiser call, in the order the loop makes them (`denoiserCalls` values).
    var callTimes: [Float] { get }
    /// Starts a denoising loop from `noise` (B, C, H, W) at the start time; row i of `noise` is image
    /// `imageIndices.lowerBound + i` of the run (B = `imageIndices.count`).
    func makeLoop(predictor: any NoisePredictor, noise: Tensor, imageIndices: Range<Int>) throws -> DenoisingLoop
}

extension Sampler {
    /// Starts a loop from `noise` (B, C, H, W) as images 0..<B of the run.
    public func makeLoop(predictor: any NoisePredictor, noise: Tensor) throws -> DenoisingLoop {
        try makeLoop(predictor: predictor, noise: noise, imageIndices: 0..<noise.size(0))
    }

    /// A loop sampling `network` for `classes` (int64 (B)) with a guidance rule, applied inside
    /// `guidanceInterval` (everywhere when nil); `imageIndices` (default 0..<B) number the images.
    public func loop(network: any DenoisingNetwork, noise: Tensor, classes: Tensor, nullClass: Int,
                     guidance: Guidance = .none, guidanceInterval: GuidanceInterval? = nil,
                     imageIndices: Range<Int>? = nil) throws -> DenoisingLoop {
        let predictor = try GuidedDenoiser(network: network, classes: classes, nullClass: nullClass, guidance: guidance,
                                           guidanceInterval: guidanceInterval)
        return try makeLoop(predictor: predictor, noise: noise, imageIndices: imageIndices ?? 0..<noise.size(0))
    }

    /// Samples `network` for `classes` from `noise` in one call; returns (B, C, H, W).
    public func sample(network: any DenoisingNetwork, noise: Tensor, classes: Tensor, nullClass: Int,
                       guidance: Guidance = .none, guidanceInterval: GuidanceInterval? = nil,
                       imageIndices: Range<Int>? = nil) throws -> Tensor {
        try loop(network: network, noise: noise, classes: classes, nullClass: nullClass, guidance: guidance,
                 guidanceInterval: guidanceInterval, imageIndices: imageIndices).run()
    }

    /// Samples from `noise` with any noise predictor in one call.
    public func sample(predictor: any NoisePredictor, noise: Tensor) throws -> Tensor {
        try makeLoop(predictor: predictor, noise: noise).run()
    }

    /// What a run with `guidance`, applied inside `interval` (everywhere when nil), does and costs, for display.
    public func summary(guidance: Guidance, interval: GuidanceInterval? = nil) -> SamplingSummary {
        let guidedCalls: Int
        if case .none = guidance {
            guidedCalls = 0
        } else {
            guidedCalls = interval.map { range in callTimes.filter { range.contains(time: $0) }.count } ?? denoiserCalls
        }
        return SamplingSummary(sampler: name, solverSteps: stepCount, denoiserCalls: denoiserCalls, guidance: guidance,
                               interval: interval, guidedCalls: guidedCalls)
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
    /// Where guidance applies; nil: at every call.
    public let interval: GuidanceInterval?
    /// Denoiser calls per image that run the unconditional pass too.
    public let guidedCalls: Int

    /// Network passes per image: one per denoiser call, plus one per guided call.
    public var networkEvaluationsPerImage: Int { denoiserCalls + guidedCalls }

    /// The multi-line text a CLI prints.
    public var description: String {
        var lines = ["sampler: \(sampler), \(solverSteps) steps, \(denoiserCalls) denoiser calls", "guidance: \(guidance)"]
        if let interval {
            lines.append("guidance interval: \(interval), guided on \(guidedCalls) of \(denoiserCalls) denoiser calls")
        }
        let batching = guidedCalls == 0 ? ""
            : interval == nil ? " (conditional and unconditional in one batch)"
            : " (conditional and unconditional in one batch inside the interval, conditional only outside)"
        lines.append("network evaluations per image: \(networkEvaluationsPerImage)\(batching)")
        return lines.joined(separator: "\n")
    }
}
