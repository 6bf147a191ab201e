import NN
import Torch

/// Convolution without bias, batch normalisation (eps 0.001) and ReLU: torchvision's `BasicConv2d`,
/// the unit every Inception-v3 layer is made of (state-dict names `conv.weight`, `bn.*`).
public final class BasicConv2d: Module, @unchecked Sendable {
    /// The convolution (`conv`).
    public let conv: Conv2d
    /// The batch normalisation (`bn`).
    public let bn: BatchNorm2d

    /// A unit from `inChannels` to `outChannels` channels; weights uninitialised unless `initialize`.
    public init(_ inChannels: Int, _ outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), initialize: Bool = false) throws {
        conv = try Conv2d(inChannels, outChannels, kernelSize: kernel, stride: stride, padding: padding, bias: false,
                          initialize: initialize)
        bn = try BatchNorm2d(outChannels, eps: 0.001)
        super.init()
        register("conv", conv)
        register("bn", bn)
    }

    /// A unit with a square kernel and equal stride and padding in both directions.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                            initialize: Bool = false) throws {
        try self.init(inChannels, outChannels, kernel: (kernel, kernel), stride: (stride, stride),
                      padding: (padding, padding), initialize: initialize)
    }

    /// (N, inChannels, H, W) -> (N, outChannels, H', W').
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try bn(conv(x)).relu()
    }
}
