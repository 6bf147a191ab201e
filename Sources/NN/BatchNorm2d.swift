import Torch

/// Batch normalisation of (N, C, H, W) inputs over N, H and W, as `nn.BatchNorm2d`.
///
/// State-dict names as PyTorch's: parameters `weight`, `bias`; buffers `running_mean`, `running_var`
/// and `num_batches_tracked` (int64). In training mode the batch's statistics normalise and the running
/// ones are updated in place with `momentum`; in evaluation mode the running statistics normalise.
public final class BatchNorm2d: Module, @unchecked Sendable {
    /// Number of channels C.
    public let channels: Int
    /// Added to the variance before the square root.
    public let eps: Double
    /// Weight of the newest batch in the running statistics.
    public let momentum: Double
    /// Per-channel scale (initialised to ones), when the layer is affine.
    public let weight: Parameter?
    /// Per-channel shift (initialised to zeros), when the layer is affine.
    public let bias: Parameter?

    /// A batch normalisation of `channels` channels (PyTorch's defaults: eps 1e-5, momentum 0.1, affine).
    public init(_ channels: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true) throws {
        guard channels > 0 else { throw TorchError("BatchNorm2d needs a positive channel count, got \(channels)") }
        guard eps >= 0, momentum >= 0, momentum <= 1 else {
            throw TorchError("BatchNorm2d: eps must be non-negative and momentum in [0, 1], got \(eps) and \(momentum)")
        }
        self.channels = channels
        self.eps = eps
        self.momentum = momentum
        weight = affine ? try Parameter(Tensor.empty([channels])) : nil
        bias = affine ? try Parameter(Tensor.empty([channels])) : nil
        let runningMean = try Tensor.empty([channels])
        let runningVar = try Tensor.empty([channels])
        let tracked = try Tensor.zeros([], dtype: .int64)
        super.init()
        if let weight { register("weight", parameter: weight); try Init.ones_(weight.tensor) }
        if let bias { register("bias", parameter: bias); try Init.zeros_(bias.tensor) }
        register("running_mean", buffer: runningMean)
        register("running_var", buffer: runningVar)
        register("num_batches_tracked", buffer: tracked)
        try Init.zeros_(runningMean)
        try Init.ones_(runningVar)
    }

    /// The buffer registered as `name` (looked up on each call: loading with `assign` replaces buffers).
    private func buffer(_ name: String) -> Tensor? {
        namedBuffers().first { $0.name == name }?.tensor
    }

    /// Normalises: (N, C, H, W) -> same shape; in training mode also updates the running statistics.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.size(1) == channels else {
            throw TorchError("BatchNorm2d(\(channels)) expects (N, \(channels), H, W), got \(x.shape)")
        }
        if isTraining, let tracked = buffer("num_batches_tracked") {
            try withNoGrad { try tracked.copy_(tracked + 1) }
        }
        return try x.batchNorm(runningMean: buffer("running_mean"), runningVar: buffer("running_var"),
                               weight: weight?.tensor, bias: bias?.tensor, training: isTraining,
                               momentum: momentum, eps: eps)
    }
}
