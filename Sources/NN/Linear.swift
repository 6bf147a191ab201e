import Torch

/// A fully connected layer `y = x W^T + b`, as `nn.Linear` (parameters `weight`, `bias`).
public final class Linear: Module, @unchecked Sendable {
    /// Size of each input's last dimension.
    public let inFeatures: Int
    /// Size of each output's last dimension.
    public let outFeatures: Int
    /// The weight, (outFeatures, inFeatures).
    public let weight: Parameter
    /// The bias, (outFeatures), when the layer has one.
    public let bias: Parameter?

    /// A layer with PyTorch's default initialisation drawn from `generator` (the default one when nil).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: Generator? = nil) throws {
        guard inFeatures >= 0, outFeatures >= 0 else {
            throw TorchError("Linear needs non-negative sizes, got \(inFeatures) -> \(outFeatures)")
        }
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = try Parameter(Tensor.empty([outFeatures, inFeatures]))
        self.bias = bias ? try Parameter(Tensor.empty([outFeatures])) : nil
        super.init()
        register("weight", parameter: weight)
        if let b = self.bias { register("bias", parameter: b) }
        try Init.defaultLayer_(weight: weight.tensor, bias: self.bias?.tensor, generator: generator)
    }

    /// Applies the layer to the last dimension: (..., inFeatures) -> (..., outFeatures).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.linear(weight: weight.tensor, bias: bias?.tensor)  // (..., out)
    }
}
