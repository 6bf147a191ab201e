import NN
import Torch

/// RMSNorm scaled by `1 + W x[:, 0]` (the authors' `ADARMSN`): the condition is the first token, i.e. the
/// class token in a Transformer stage and the first image row in a ConvNeXt stage. eps 1e-6 is inside the root.
///
/// State-dict name: `linear.weight` (no bias, zero at initialisation).
public final class AdaRMSNorm: Module, @unchecked Sendable {
    /// Size of the normalised (last) dimension.
    public let dim: Int
    /// Added to the mean square.
    public let eps: Double
    /// Maps the condition to the scale offset.
    public let linear: Linear

    /// A norm over `dim` channels conditioned on a `conditionDim`-wide vector.
    public init(_ dim: Int, conditionDim: Int, eps: Double = 1e-6, generator: Generator? = nil) throws {
        self.dim = dim
        self.eps = eps
        linear = try Linear(conditionDim, dim, bias: false, generator: generator)
        try linear.weight.tensor.zero_()
        super.init()
        register("linear", linear)
    }

    /// Normalises (B, L, dim) or (B, H, W, dim) conditioned on `x[:, 0]`; same shape out, float32 for a
    /// bfloat16 `x`.
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        let condition = try x.select(dim: 1, index: 0)  // (B, dim) or (B, W, dim)
        // 1 + offset in at least float32: in bfloat16 (a mixed-precision linear's output) 1 + offset keeps 8 bits.
        let scale = try atLeastFloat32(linear(condition)).unsqueeze(1) + 1  // (B, 1, dim) or (B, 1, W, dim)
        let work: DType = x.dtype == .float64 ? .float64 : .float32  // at least float32 for the statistics
        let wide = try x.to(work)
        let meanSquare = try wide.pow(2).mean(dims: [-1], keepDim: true)  // (..., 1)
        let factor = try scale.to(work) * (meanSquare + eps).rsqrt()
        return try wide * factor
    }
}
