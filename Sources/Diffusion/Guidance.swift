import Foundation
import Torch

/// Classifier-free guidance: how conditional and unconditional noise predictions are combined.
///
/// Both rules are the DiMR authors' (eval.py). Times are on the 0...1000 scale (1000 = pure noise).
public enum Guidance: Sendable, Equatable, CustomStringConvertible {
    /// Conditional prediction only (one network pass per call).
    case none
    /// `cond + scale * (cond - uncond)`: the standard rule with scale `1 + scale`.
    case constant(scale: Double)
    /// `uncond + s(t) * (cond - uncond)` with
    /// `s(t) = (scale - 1) * (1 - cos(pi * (1 - t / 1000)^power)) / 2 + 1`:
    /// no guidance (s = 1) at t = 1000, rising to `scale` at t = 0.
    case decayed(scale: Double, power: Double)

    /// The authors' eval.py convention: no guidance unless `scale > 0` and `power != 0`;
    /// `power == -1` selects the constant rule, any other power the decayed one.
    public init(authorsScale scale: Double, power: Double) {
        if !(scale > 0) || power == 0 {
            self = .none
        } else if power == -1 {
            self = .constant(scale: scale)
        } else {
            self = .decayed(scale: scale, power: power)
        }
    }

    /// Network passes per image and denoiser call: 2 when guided, else 1.
    public var passesPerCall: Int {
        if case .none = self { return 1 }
        return 2
    }

    /// Throws for settings the authors' code rejects or that make no sense.
    public func validate() throws {
        switch self {
        case .none: break
        case .constant(let scale):
            guard scale.isFinite else { throw TorchError("guidance scale must be finite, got \(scale)") }
        case .decayed(let scale, let power):
            guard scale.isFinite, scale >= 1 else { throw TorchError("decayed guidance needs a scale >= 1, got \(scale)") }
            guard power.isFinite, power > 0 else { throw TorchError("decayed guidance needs a power > 0, got \(power)") }
        }
    }

    /// The weight `w` of the equivalent standard rule `uncond + w (cond - uncond)` at time `t`
    /// (0...1000), in float32 as the sampler applies it; 1 without guidance.
    public func standardScale(atTime t: Float) throws -> Float {
        switch self {
        case .none: return 1
        case .constant(let scale): return 1 + Float(scale)
        case .decayed(let scale, let power): return try Self.decayedWeight(scale: scale, power: power, time: t)
        }
    }

    /// `(scale - 1) * (1 - cos((1 - t / 1000)^power * pi)) * 1 / 2 + 1`, step by step in float32.
    static func decayedWeight(scale: Double, power: Double, time t: Float) throws -> Float {
        let progress = try Float32Math.pow(1 - t / Float(NoiseSchedule.timeScale), power)
        let cosine = try Float32Math.cos(progress * Float(Double.pi))   // pi rounded to nearest, as torch does
        let step = ((1 - cosine) * 1) / 2
        return Float(scale - 1) * step + 1
    }

    /// Combines predictions of the same shape at time `t` (0...1000) by this rule.
    public func combine(conditional cond: Tensor, unconditional uncond: Tensor, time t: Float) throws -> Tensor {
        switch self {
        case .none:
            return cond
        case .constant(let scale):
            return try cond + ((cond - uncond) * scale)
        case .decayed(let scale, let power):
            let weight = try Self.decayedWeight(scale: scale, power: power, time: t)
            return try uncond + ((cond - uncond) * Double(weight))
        }
    }

    /// A one-line statement of the rule and its standard-scale equivalent.
    public var description: String {
        switch self {
        case .none:
            return "none (conditional prediction only)"
        case .constant(let scale):
            return "constant: cond + \(format(scale)) (cond - uncond), standard scale \(format(1 + scale))"
        case .decayed(let scale, let power):
            return "decayed: uncond + s(t) (cond - uncond), s(t) = (\(format(scale)) - 1)(1 - cos(pi (1 - t/1000)^\(format(power))))/2 + 1,"
                + " standard scale from 1 at t = 1000 to \(format(scale)) at t = 0"
        }
    }
}

/// Short decimal text for a setting (`0.4`, `1.5`, `2`).
func format(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}
