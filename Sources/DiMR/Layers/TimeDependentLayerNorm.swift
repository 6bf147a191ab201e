import NN
import Torch

/// LayerNorm over the last dimension whose weight and bias are time-dependent parameters
/// (the authors' `LN`; also the cascade's up-sampling and every stage's output norm).
///
/// State-dict names: `weight.*`, `bias.*` (each a `TimeDependentParameter`).
public final class TimeDependentLayerNorm: Module, @unchecked Sendable {
    /// Size of the normalised (last) dimension.
    public let dim: Int
    /// Added to the variance.
    public let eps: Double
    /// Per-channel scale, starting at one.
    public let weight: TimeDependentParameter
    /// Per-channel shift, starting at zero.
    public let bias: TimeDependentParameter

    /// A norm over `dim` channels.
    public init(_ dim: Int, eps: Double = 1e-5) throws {
        self.dim = dim
        self.eps = eps
        weight = try TimeDependentParameter(shape: [dim], initial: 1)
        bias = try TimeDependentParameter(shape: [dim], initial: 0)
        super.init()
        register("weight", weight)
        register("bias", bias)
    }

    /// Normalises (B, ..., dim) with each sample's (or the shared) weight and bias; same shape out, float32 for a
    /// bfloat16 `x`.
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        let shape = x.shape
        precondition(shape.last == dim, "TimeDependentLayerNorm(\(dim)) applied to shape \(shape)")
        let tokens = try atLeastFloat32(x).reshape([shape[0], -1, dim])  // (B, L, dim)
        let w = try weight.value(time), b = try bias.value(time)  // (T, dim)
        let y: Tensor
        if time.isShared {
            y = try tokens.layerNorm([dim], weight: w.select(dim: 0, index: 0), bias: b.select(dim: 0, index: 0), eps: eps)
        } else {
            guard time.rows == shape[0] else { throw DiMRError("\(time.rows) time values for a batch of \(shape[0])") }
            let normed = try tokens.layerNorm([dim], eps: eps)  // (B, L, dim)
            y = try Tensor.addcmul(b.unsqueeze(1), w.unsqueeze(1), normed)  // (B, L, dim)
        }
        return try y.reshape(shape)
    }
}
