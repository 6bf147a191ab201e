import NN
import Torch

/// Halves the side of a feature map: zero padding of one row at the bottom and one column at the right, then a
/// 3 x 3 stride-2 convolution (the reference pads asymmetrically itself); or 2 x 2 average pooling when the
/// configuration has `resamp_with_conv` false.
///
/// State-dict names: `conv.*` (with the convolution).
public final class Downsample: Module, @unchecked Sendable {
    let conv: Conv2d?

    init(channels: Int, withConv: Bool, layers: LayerBuilder) throws {
        conv = withConv ? try layers.strided(channels) : nil
        super.init()
        if let conv { register("conv", conv) }
    }

    /// (B, C, H, W) -> (B, C, H / 2, W / 2), sides rounded down.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard let conv else { return try x.avgPool2d(kernel: [2, 2], stride: [2, 2]) }
        return try conv(x.pad([0, 1, 0, 1]))  // (left, right, top, bottom) of the last two dimensions
    }
}
