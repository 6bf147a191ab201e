import NN
import Torch

/// Pixel-shuffle up-sampling of a channels-last map: a Linear to `r * r * dim` channels, read as (r, r, dim)
/// (the authors' channel order, not `torch.pixel_shuffle`'s (dim, r, r)), spread over an r x r neighbourhood.
///
/// State-dict name: `kernel.*`.
public final class PixelShuffleUpsample: Module, @unchecked Sendable {
    /// Up-sampling factor.
    public let ratio: Int
    /// Output channels.
    public let outDim: Int
    /// The projection to `ratio * ratio * outDim` channels.
    public let kernel: Linear

    /// Up-sampling by `ratio` from `inDim` to `outDim` channels.
    public init(inDim: Int, outDim: Int, ratio: Int, generator: Generator?) throws {
        self.ratio = ratio
        self.outDim = outDim
        kernel = try AuthorsInit.linear(inDim, outDim * ratio * ratio, generator: generator)
        super.init()
        register("kernel", kernel)
    }

    /// (B, H, W, inDim) -> (B, H * r, W * r, outDim).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (b, h, w) = (x.size(0), x.size(1), x.size(2))
        let y = try kernel(x).reshape([b, h, w, ratio, ratio, outDim])  // (B, H, W, r, r, C)
        return try y.transpose(2, 3).reshape([b, h * ratio, w * ratio, outDim])  // (B, H r, W r, C)
    }
}

/// The cascade's hand-over from a lower-resolution stage: time-dependent LayerNorm, pixel-shuffle
/// up-sampling, time-dependent LayerNorm (state-dict names `0`, `1`, `2`).
public final class CascadeUpsample: Module, @unchecked Sendable {
    /// Norm of the incoming features.
    public let inputNorm: TimeDependentLayerNorm
    /// The up-sampling.
    public let shuffle: PixelShuffleUpsample
    /// Norm of the up-sampled features.
    public let outputNorm: TimeDependentLayerNorm

    /// Up-sampling `inDim`-wide features by `ratio` to `outDim` channels.
    public init(inDim: Int, outDim: Int, ratio: Int, generator: Generator?) throws {
        inputNorm = try TimeDependentLayerNorm(inDim)
        shuffle = try PixelShuffleUpsample(inDim: inDim, outDim: outDim, ratio: ratio, generator: generator)
        outputNorm = try TimeDependentLayerNorm(outDim)
        super.init()
        register("0", inputNorm)
        register("1", shuffle)
        register("2", outputNorm)
    }

    /// (B, h, w, inDim) -> (B, h r, w r, outDim).
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        try outputNorm(shuffle(inputNorm(x, time: time)), time: time)
    }
}
