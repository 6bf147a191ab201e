import NN
import Torch

/// A linear layer whose (din, dout) weight and (dout) bias are time-dependent parameters, applied with a
/// batched matrix product per sample (the authors' `sigmoid.module.Linear`; the released DiMR blocks use
/// plain `nn.Linear` layers instead, so this layer is offered for experiments and not part of the presets).
///
/// State-dict names: `weight.*` (din, dout), `bias.*` (dout).
public final class TimeDependentLinear: Module, @unchecked Sendable {
    /// Input features.
    public let inFeatures: Int
    /// Output features.
    public let outFeatures: Int
    /// The (din, dout) weight, truncated-normal std 0.02 at initialisation.
    public let weight: TimeDependentParameter
    /// The bias, zero at initialisation.
    public let bias: TimeDependentParameter?

    /// A layer from `inFeatures` to `outFeatures`; the weight's two end values start equal.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: Generator? = nil) throws {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = try TimeDependentParameter(shape: [inFeatures, outFeatures], initial: 0)
        try Init.truncatedNormal_(weight.param0.tensor, std: 0.02, generator: generator)
        try weight.param1.tensor.copy_(weight.param0.tensor)
        self.bias = bias ? try TimeDependentParameter(shape: [outFeatures], initial: 0) : nil
        super.init()
        register("weight", weight)
        if let b = self.bias { register("bias", b) }
    }

    /// Applies each sample's weight: (B, ..., din) -> (B, ..., dout). With a shared time the batch must be 1,
    /// as in the authors' layer (a batched product does not broadcast).
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        let shape = x.shape
        precondition(shape.last == inFeatures, "TimeDependentLinear(\(inFeatures), \(outFeatures)) applied to shape \(shape)")
        let tokens = try x.reshape([shape[0], -1, inFeatures])  // (B, L, din)
        let w = try weight.value(time)  // (T, din, dout)
        let y: Tensor
        if let bias {
            y = try Tensor.baddbmm(bias.value(time).unsqueeze(1), tokens, w)  // (B, L, dout)
        } else {
            y = try tokens.bmm(w)  // (B, L, dout)
        }
        return try y.reshape(Array(shape.dropLast()) + [outFeatures])
    }
}
