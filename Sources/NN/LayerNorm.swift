import Torch

/// Layer normalisation over the trailing dimensions, as `nn.LayerNorm` (parameters `weight`, `bias`).
public final class LayerNorm: Module, @unchecked Sendable {
    /// The trailing dimensions normalised over.
    public let normalizedShape: [Int]
    /// Added to the variance before the square root.
    public let eps: Double
    /// Per-element scale (initialised to ones), when the layer is affine.
    public let weight: Parameter?
    /// Per-element shift (initialised to zeros), when the layer is affine with a bias.
    public let bias: Parameter?

    /// A layer normalisation; `elementwiseAffine: false` gives neither weight nor bias, `bias: false` only a weight.
    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) throws {
        guard !normalizedShape.isEmpty, normalizedShape.allSatisfy({ $0 > 0 }) else {
            throw TorchError("LayerNorm needs a non-empty shape of positive sizes, got \(normalizedShape)")
        }
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? try Parameter(Tensor.ones(normalizedShape)) : nil
        self.bias = elementwiseAffine && bias ? try Parameter(Tensor.zeros(normalizedShape)) : nil
        super.init()
        if let weight { register("weight", parameter: weight) }
        if let b = self.bias { register("bias", parameter: b) }
    }

    /// A layer normalisation over the last dimension of size `dim`.
    public convenience init(_ dim: Int, eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) throws {
        try self.init([dim], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias)
    }

    /// Normalises: (..., *normalizedShape) -> same shape.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.layerNorm(normalizedShape, weight: weight?.tensor, bias: bias?.tensor, eps: eps)
    }
}
