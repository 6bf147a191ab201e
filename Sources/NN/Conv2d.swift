import Torch

/// A 2-D convolution over (N, C, H, W) inputs, as `nn.Conv2d` (parameters `weight`, `bias`).
public final class Conv2d: Module, @unchecked Sendable {
    /// Input channels.
    public let inChannels: Int
    /// Output channels.
    public let outChannels: Int
    /// Kernel (height, width).
    public let kernelSize: (Int, Int)
    /// Stride (height, width).
    public let stride: (Int, Int)
    /// Zero padding on each side (height, width).
    public let padding: (Int, Int)
    /// Kernel dilation (height, width).
    public let dilation: (Int, Int)
    /// Number of channel groups (`inChannels` for a depthwise convolution).
    public let groups: Int
    /// The weight, (outChannels, inChannels / groups, kh, kw).
    public let weight: Parameter
    /// The bias, (outChannels), when the layer has one.
    public let bias: Parameter?

    /// A convolution with PyTorch's default initialisation drawn from `generator` (the default one when nil).
    ///
    /// With `initialize` false the weight and bias are left uninitialised (`torch.empty`: no random draws, no
    /// memory touched), for a layer whose values a checkpoint will replace.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                generator: Generator? = nil, initialize: Bool = true) throws {
        try validateConvolution("Conv2d", inChannels, outChannels, kernelSize, stride, padding, dilation, groups)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        weight = try Parameter(Tensor.empty([outChannels, inChannels / groups, kernelSize.0, kernelSize.1]))
        self.bias = bias ? try Parameter(Tensor.empty([outChannels])) : nil
        super.init()
        register("weight", parameter: weight)
        if let b = self.bias { register("bias", parameter: b) }
        if initialize { try Init.defaultLayer_(weight: weight.tensor, bias: self.bias?.tensor, generator: generator) }
    }

    /// A convolution with a square kernel and the same stride, padding and dilation in both directions.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, generator: Generator? = nil,
                            initialize: Bool = true) throws {
        try self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                      padding: (padding, padding), dilation: (dilation, dilation), groups: groups, bias: bias,
                      generator: generator, initialize: initialize)
    }

    /// Convolves: (N, inChannels, H, W) -> (N, outChannels, H', W').
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try convolve(x, addingBias: true)
    }

    /// Convolves with the weight only (`addingBias` false; the caller adds `bias` itself, e.g. in another layout),
    /// or as `callAsFunction`: (N, inChannels, H, W) -> (N, outChannels, H', W').
    public func convolve(_ x: Tensor, addingBias: Bool) throws -> Tensor {
        try x.conv2d(weight: weight.tensor, bias: addingBias ? bias?.tensor : nil, stride: [stride.0, stride.1],
                     padding: [padding.0, padding.1], dilation: [dilation.0, dilation.1], groups: groups)
    }
}

/// Throws a readable error for convolution settings PyTorch would reject.
func validateConvolution(_ layer: String, _ inChannels: Int, _ outChannels: Int, _ kernel: (Int, Int),
                         _ stride: (Int, Int), _ padding: (Int, Int), _ dilation: (Int, Int), _ groups: Int) throws {
    guard groups > 0 else { throw TorchError("\(layer): groups must be positive, got \(groups)") }
    guard inChannels > 0, outChannels > 0 else {
        throw TorchError("\(layer): channel counts must be positive, got \(inChannels) -> \(outChannels)")
    }
    guard inChannels % groups == 0, outChannels % groups == 0 else {
        throw TorchError("\(layer): \(inChannels) input and \(outChannels) output channels are not both divisible by \(groups) groups")
    }
    guard kernel.0 > 0, kernel.1 > 0, stride.0 > 0, stride.1 > 0, dilation.0 > 0, dilation.1 > 0 else {
        throw TorchError("\(layer): kernel size, stride and dilation must be positive")
    }
    guard padding.0 >= 0, padding.1 >= 0 else { throw TorchError("\(layer): padding must be non-negative") }
}
