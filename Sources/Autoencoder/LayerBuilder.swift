import NN
import Torch

/// Makes the autoencoder's convolutions and GroupNorms, either with PyTorch's default initialisation or
/// uninitialised (no random draws, no memory touched) when a checkpoint will replace every value.
struct LayerBuilder {
    /// Whether convolutions get PyTorch's default initialisation.
    let initialize: Bool
    /// The generator of that initialisation (libtorch's default one when nil).
    let generator: Generator?

    /// A stride-1 convolution with `kernel` x `kernel` taps and "same" zero padding.
    func conv(_ inChannels: Int, _ outChannels: Int, kernel: Int, bias: Bool = true) throws -> Conv2d {
        try Conv2d(inChannels, outChannels, kernelSize: kernel, padding: kernel / 2, bias: bias, generator: generator,
                   initialize: initialize)
    }

    /// A 3 x 3 stride-2 convolution without padding (the caller pads).
    func strided(_ channels: Int) throws -> Conv2d {
        try Conv2d(channels, channels, kernelSize: 3, stride: 2, generator: generator, initialize: initialize)
    }

    /// The reference's `Normalize`: GroupNorm with 32 groups, eps 1e-6, affine.
    func norm(_ channels: Int) throws -> GroupNorm {
        try GroupNorm(groups: AutoencoderConfig.normGroups, channels: channels, eps: AutoencoderConfig.normEps)
    }
}
