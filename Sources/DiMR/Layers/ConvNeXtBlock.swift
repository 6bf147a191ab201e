import NN
import Torch

/// A depthwise convolution applied to a channels-last map (the authors' `ChannelFirst, Conv2d, ChannelLast`
/// sequence, so the convolution's state-dict name is `1`).
public final class ChannelsLastDepthwiseConv: Module, @unchecked Sendable {
    /// The depthwise convolution (groups = channels, "same" padding).
    public let conv: Conv2d

    /// A `kernelSize` x `kernelSize` depthwise convolution over `dim` channels.
    public init(dim: Int, kernelSize: Int, generator: Generator?) throws {
        conv = try Conv2d(dim, dim, kernelSize: kernelSize, stride: 1, padding: kernelSize / 2, groups: dim, generator: generator)
        super.init()
        register("1", conv)
    }

    /// (B, H, W, C) -> (B, H, W, C).
    ///
    /// The input is made contiguous channels-last first, so the convolution sees channels-last strides and
    /// libtorch takes its fast depthwise path (the NCHW backward on CPU is two orders of magnitude slower).
    /// The bias is added after the convolution rather than in it: libtorch's CPU convolution backward computes
    /// a depthwise bias gradient at about a fifth of the whole backward's cost, a plain sum a hundredth of that.
    /// Under bfloat16 mixed precision it stays float32 on the CPU: libtorch 2.13's bfloat16 depthwise kernels
    /// are no faster forward (casts included) and cost more processor time backward there (measured on AVX512-BF16).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try Autocast.suspendedOnCPU(for: x) {
            let out = try conv.convolve(x.contiguous().permute([0, 3, 1, 2]), addingBias: false)  // (B, C, H, W), channels-last strides
                .permute([0, 2, 3, 1])  // (B, H, W, C)
            guard let bias = conv.bias?.tensor else { return out }
            return try out + bias  // (C) broadcast over the last dimension
        }
    }
}

/// ConvNeXt-style block on a channels-last map: `x + dwconv(x)`, then `x + mlp(x)`.
///
/// State-dict names: `block1.1.*` (depthwise convolution), `block2.*` (MLP).
public final class ConvNeXtBlock: Module, StageBlock, @unchecked Sendable {
    /// The depthwise-convolution branch.
    public let block1: ChannelsLastDepthwiseConv
    /// The MLP branch.
    public let block2: MLPBlock
    let dropout: Dropout

    /// A block for a ConvNeXt stage.
    public init(_ config: StageConfig, normType: NormType, generator: Generator?) throws {
        guard let kernel = config.kernelSize else { throw DiMRError("a ConvNeXtBlock needs kernel_size") }
        block1 = try ChannelsLastDepthwiseConv(dim: config.dim, kernelSize: kernel, generator: generator)
        block2 = try MLPBlock(dim: config.dim, hiddenDim: config.hiddenDim, normType: normType, generator: generator)
        dropout = try Dropout(config.dropoutProb)
        super.init()
        register("block1", block1)
        register("block2", block2)
        register("dropout", dropout)
    }

    /// (B, H, W, C) -> (B, H, W, C).
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        let h = try x + residualDropout(block1(x), dropout)
        return try h + residualDropout(block2(h, time: time), dropout)
    }
}
