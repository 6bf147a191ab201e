import NN
import Torch

/// A stage's output path: time-dependent LayerNorm, channels-first, a "same" convolution to the image
/// channels (the authors' `output_layer` sequence: state-dict names `0` and `2`).
public final class StageOutput: Module, @unchecked Sendable {
    /// The final norm.
    public let norm: TimeDependentLayerNorm
    /// The output convolution.
    public let conv: Conv2d

    /// The output path from `dim` features to `channels` image channels.
    public init(dim: Int, channels: Int, kernelSize: Int, generator: Generator?) throws {
        norm = try TimeDependentLayerNorm(dim)
        conv = try Conv2d(dim, channels, kernelSize: kernelSize, padding: kernelSize / 2, generator: generator)
        super.init()
        register("0", norm)
        register("2", conv)
    }

    /// (B, H, W, dim) -> (B, channels, H, W).
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        try conv(norm(x, time: time).permute([0, 3, 1, 2]))
    }
}
