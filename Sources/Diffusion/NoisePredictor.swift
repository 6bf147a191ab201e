import Torch

/// What a sampler integrates: the predicted noise of a batch at one time.
public protocol NoisePredictor: AnyObject {
    /// Network passes per image made so far by `predictNoise` (a guided call costs two).
    var networkEvaluations: Int { get }

    /// The noise in `x` (B, C, H, W) at time `t` on the 0...1000 scale, shared by the batch.
    func predictNoise(_ x: Tensor, time t: Float) throws -> Tensor
}

/// A `DenoisingNetwork` with fixed classes and a guidance rule, as a `NoisePredictor`.
///
/// The network gets `log_snr = t / 1000 * 8 - 4` (float32) and only its last, full-resolution
/// output is used. With guidance the conditional and unconditional passes run as one batch of 2B
/// (classes, then the null class). With a guidance interval, calls at times outside it make the
/// conditional pass of B alone and return it unguided.
public final class GuidedDenoiser: NoisePredictor {
    /// The network being sampled.
    public let network: any DenoisingNetwork
    /// Class per image (B), int64.
    public let classes: Tensor
    /// The class index meaning "no class".
    public let nullClass: Int
    /// How conditional and unconditional predictions combine.
    public let guidance: Guidance
    /// Where guidance applies; nil: at every call.
    public let guidanceInterval: GuidanceInterval?
    /// Network forward passes made so far, counted per batch (a guided call counts once).
    public private(set) var forwardCalls = 0
    /// Network passes per image made so far: 1 per unguided call, 2 per guided one.
    public private(set) var networkEvaluations = 0
    private let batchClasses: Tensor

    /// Wraps `network` for sampling images of `classes` (int64, (B)), guided by `guidance` at the
    /// times inside `guidanceInterval` (all times when nil).
    public init(network: any DenoisingNetwork, classes: Tensor, nullClass: Int, guidance: Guidance = .none,
                guidanceInterval: GuidanceInterval? = nil) throws {
        try guidance.validate()
        guard classes.rank == 1 else { throw TorchError("classes must be a vector, got shape \(classes.shape)") }
        guard nullClass >= 0 else { throw TorchError("the null class must be a class index, got \(nullClass)") }
        self.network = network
        self.classes = try classes.to(.int64)
        self.nullClass = nullClass
        self.guidance = guidance
        self.guidanceInterval = guidanceInterval
        if case .none = guidance {
            batchClasses = self.classes
        } else {
            let null = try Tensor.full(classes.shape, Double(nullClass), dtype: .int64, device: classes.device)
            batchClasses = try Tensor.cat([self.classes, null])                        // (2B)
        }
    }

    /// Whether a call at time `t` (0...1000) runs the unconditional pass and applies the guidance rule.
    public func isGuided(atTime t: Float) -> Bool {
        if case .none = guidance { return false }
        return guidanceInterval?.contains(time: t) ?? true
    }

    /// Network passes per image that a call at time `t` costs: 2 when guided there, else 1.
    public func passes(atTime t: Float) -> Int { isGuided(atTime: t) ? 2 : 1 }

    /// The guided noise prediction at time `t` (0...1000).
    public func predictNoise(_ x: Tensor, time t: Float) throws -> Tensor {
        let batch = x.size(0)
        guard batch == classes.size(0) else {
            throw TorchError("a batch of \(batch) images but \(classes.size(0)) classes")
        }
        let logSNR = Double(NoiseSchedule.timeCondition(time: t))
        guard isGuided(atTime: t) else {
            let time = try Tensor.full([batch], logSNR, device: x.device)
            let cond = try lastPrediction(network.predict(x, logSNR: time, classes: classes))
            forwardCalls += 1
            networkEvaluations += 1
            return cond
        }
        let doubled = try Tensor.cat([x, x])                                            // (2B, C, H, W)
        let time = try Tensor.full([2 * batch], logSNR, device: x.device)
        let both = try lastPrediction(network.predict(doubled, logSNR: time, classes: batchClasses))
        forwardCalls += 1
        networkEvaluations += 2
        let cond = try both.narrow(dim: 0, start: 0, length: batch)                     // (B, C, H, W)
        let uncond = try both.narrow(dim: 0, start: batch, length: batch)
        return try guidance.combine(conditional: cond, unconditional: uncond, time: t)
    }

    private func lastPrediction(_ outputs: [Tensor]) throws -> Tensor {
        guard let last = outputs.last else { throw TorchError("the network returned no predictions") }
        return last
    }
}
