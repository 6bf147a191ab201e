import Torch

/// A 2-D transposed convolution over (N, C, H, W) inputs, as `nn.ConvTranspose2d` (parameters `weight`, `bias`).
public final class ConvTranspose2d: Module, @unchecked Sendable {
    /// Input channels.
    public let inChannels: Int
    /// Output channels.
    public let outChannels: Int
    /// Kernel (height, width).
    public let kernelSize: (Int, Int)
    /// Stride (height, width).
    public let stride: (Int, Int)
    /// Implicit padding removed from each side of the output (height, width).
    public let padding: (Int, Int)
    /// Extra size added to one side of the output (height, width); smaller than stride or dilation.
    public let outputPadding: (Int, Int)
    /// Kernel dilation (height, width).
    public let dilation: (Int, Int)
    /// Number of channel groups.
    public let groups: Int
    /// The weight, (inChannels, outChannels / groups, kh, kw).
    public let weight: Parameter
    /// The bias, (outChannels), when the layer has one.
    public let bias: Parameter?

    /// A transposed convolution with PyTorch's default initialisation drawn from `generator` (the default one when nil).
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                groups: Int = 1, bias: Bool = true, generator: Generator? = nil) throws {
        try validateConvolution("ConvTranspose2d", inChannels, outChannels, kernelSize, stride, padding, dilation, groups)
        guard outputPadding.0 >= 0, outputPadding.1 >= 0,
              outputPadding.0 < max(stride.0, dilation.0), outputPadding.1 < max(stride.1, dilation.1)
        else { throw TorchError("ConvTranspose2d: output padding \(outputPadding) must be smaller than stride or dilation") }
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
        weight = try Parameter(Tensor.empty([inChannels, outChannels / groups, kernelSize.0, kernelSize.1]))
        self.bias = bias ? try Parameter(Tensor.empty([outChannels])) : nil
        super.init()
        register("weight", parameter: weight)
        if let b = self.bias { register("bias", parameter: b) }
        // PyTorch takes the fan-in from weight dimension 1 here too, i.e. outChannels / groups * kh * kw.
        try Init.defaultLayer_(weight: weight.tensor, bias: self.bias?.tensor, generator: generator)
    }

    /// A transposed convolution with a square kernel and equal settings in both directions.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            generator: Generator? = nil) throws {
        try self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                      padding: (padding, padding), outputPadding: (outputPadding, outputPadding),
                      dilation: (dilation, dilation), groups: groups, bias: bias, generator: generator)
    }

    /// Up-convolves: (N, inChannels, H, W) -> (N, outChannels, H', W').
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.convTranspose2d(weight: weight.tensor, bias: bias?.tensor, stride: [stride.0, stride.1],
                              padding: [padding.0, padding.1], outputPadding: [outputPadding.0, outputPadding.1],
                              dilation: [dilation.0, dilation.1], groups: groups)
    }
}
