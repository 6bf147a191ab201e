import NN
import Torch

/// The autoencoder's residual block: GroupNorm, SiLU, 3 x 3 convolution, twice, plus the input (through a 1 x 1
/// convolution when the channel count changes). No time embedding; dropout is inactive in evaluation.
///
/// State-dict names: `norm1.*`, `conv1.*`, `norm2.*`, `conv2.*`, and `nin_shortcut.*` when the widths differ.
public final class ResnetBlock: Module, @unchecked Sendable {
    /// Input channels.
    public let inChannels: Int
    /// Output channels.
    public let outChannels: Int
    let norm1: GroupNorm
    let conv1: Conv2d
    let norm2: GroupNorm
    let conv2: Conv2d
    let ninShortcut: Conv2d?

    init(_ inChannels: Int, _ outChannels: Int, layers: LayerBuilder) throws {
        self.inChannels = inChannels
        self.outChannels = outChannels
        norm1 = try layers.norm(inChannels)
        conv1 = try layers.conv(inChannels, outChannels, kernel: 3)
        norm2 = try layers.norm(outChannels)
        conv2 = try layers.conv(outChannels, outChannels, kernel: 3)
        ninShortcut = inChannels == outChannels ? nil : try layers.conv(inChannels, outChannels, kernel: 1)
        super.init()
        register("norm1", norm1)
        register("conv1", conv1)
        register("norm2", norm2)
        register("conv2", conv2)
        if let ninShortcut { register("nin_shortcut", ninShortcut) }
    }

    /// (B, inChannels, H, W) -> (B, outChannels, H, W).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let h = try conv1(norm1(x).silu())
        let out = try conv2(norm2(h).silu())
        let shortcut = try ninShortcut.map { try $0(x) } ?? x
        return try shortcut + out
    }
}
