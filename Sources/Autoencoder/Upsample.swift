import NN
import Torch

/// Doubles the side of a feature map by nearest-neighbour repetition, then a 3 x 3 convolution (without it when
/// the configuration has `resamp_with_conv` false).
///
/// State-dict names: `conv.*` (with the convolution).
public final class Upsample: Module, @unchecked Sendable {
    let conv: Conv2d?

    init(channels: Int, withConv: Bool, layers: LayerBuilder) throws {
        conv = withConv ? try layers.conv(channels, channels, kernel: 3) : nil
        super.init()
        if let conv { register("conv", conv) }
    }

    /// (B, C, H, W) -> (B, C, 2H, 2W).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let up = try x.interpolate(size: (height: 2 * x.size(2), width: 2 * x.size(3)), mode: .nearest)
        return try conv.map { try $0(up) } ?? up
    }
}
