import Foundation
import NN
import Torch

/// x / (||x||_2 / sqrt(d) + eps) over the last dimension, as the authors compute it (eps outside the root).
/// A bfloat16 `x` is normalised in float32.
func rmsNormalize(_ input: Tensor, dim: Int, eps: Double) throws -> Tensor {
    let x = try atLeastFloat32(input)
    let norm = try x.norm(2, dims: [-1], keepDim: true)  // (..., 1)
    let rms = try norm * pow(Double(dim), -0.5)
    return try x / (rms + eps)  // (..., dim)
}

/// RMSNorm with a learned per-channel scale (the authors' `RMSN`); eps 1e-8 is added outside the square root.
///
/// State-dict name: `scale` (a plain parameter, starting at one).
public final class RMSNorm: Module, @unchecked Sendable {
    /// Size of the normalised (last) dimension.
    public let dim: Int
    /// Added to the root mean square.
    public let eps: Double
    /// Per-channel scale.
    public let scale: Parameter

    /// A norm over `dim` channels.
    public init(_ dim: Int, eps: Double = 1e-8) throws {
        self.dim = dim
        self.eps = eps
        scale = try Parameter(Tensor.ones([dim]))
        super.init()
        register("scale", parameter: scale)
    }

    /// Normalises (..., dim); same shape out. The time condition is not used.
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        try scale.tensor * rmsNormalize(x, dim: dim, eps: eps)
    }
}

/// RMSNorm whose scale is a time-dependent parameter (the paper's TD-RMSNorm, `TDRMSN`).
///
/// State-dict name: `scale.*` (a `TimeDependentParameter` starting at one).
public final class TimeDependentRMSNorm: Module, @unchecked Sendable {
    /// Size of the normalised (last) dimension.
    public let dim: Int
    /// Added to the root mean square.
    public let eps: Double
    /// Per-channel, per-time scale.
    public let scale: TimeDependentParameter

    /// A norm over `dim` channels.
    public init(_ dim: Int, eps: Double = 1e-8) throws {
        self.dim = dim
        self.eps = eps
        scale = try TimeDependentParameter(shape: [dim], initial: 1)
        super.init()
        register("scale", scale)
    }

    /// Normalises (B, L, dim) or (B, H, W, dim) with each sample's (or the shared) scale; same shape out.
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        let normed = try rmsNormalize(x, dim: dim, eps: eps)
        let s = try scale.value(time)  // (T, dim)
        if time.isShared { return try s.select(dim: 0, index: 0) * normed }
        guard time.rows == x.size(0) else { throw DiMRError("\(time.rows) time values for a batch of \(x.size(0))") }
        switch x.rank {
        case 3: return try s.unsqueeze(1) * normed  // (B, 1, dim) * (B, L, dim)
        case 4: return try s.view([time.rows, 1, 1, dim]) * normed  // (B, 1, 1, dim) * (B, H, W, dim)
        default: throw DiMRError("TimeDependentRMSNorm takes (B, L, C) or (B, H, W, C), got shape \(x.shape)")
        }
    }
}
