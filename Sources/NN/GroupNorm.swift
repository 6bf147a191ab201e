import Torch

/// Group normalisation over channel groups of (N, C, ...) inputs, as `nn.GroupNorm` (parameters `weight`, `bias`).
public final class GroupNorm: Module, @unchecked Sendable {
    /// Number of channel groups.
    public let groups: Int
    /// Number of channels C.
    public let channels: Int
    /// Added to the variance before the square root.
    public let eps: Double
    /// Per-channel scale (initialised to ones), when the layer is affine.
    public let weight: Parameter?
    /// Per-channel shift (initialised to zeros), when the layer is affine.
    public let bias: Parameter?

    /// A group normalisation of `channels` channels in `groups` groups.
    public init(groups: Int, channels: Int, eps: Double = 1e-5, affine: Bool = true) throws {
        guard groups > 0, channels > 0, channels % groups == 0 else {
            throw TorchError("GroupNorm: \(channels) channels cannot be split into \(groups) groups")
        }
        self.groups = groups
        self.channels = channels
        self.eps = eps
        weight = affine ? try Parameter(Tensor.ones([channels])) : nil
        bias = affine ? try Parameter(Tensor.zeros([channels])) : nil
        super.init()
        if let weight { register("weight", parameter: weight) }
        if let bias { register("bias", parameter: bias) }
    }

    /// Normalises: (N, C, *) -> same shape.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.groupNorm(groups: groups, weight: weight?.tensor, bias: bias?.tensor, eps: eps)
    }
}
