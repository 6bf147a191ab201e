import NN
import Torch

/// A small convolutional classifier of 32x32 gray images (Fashion-MNIST padded as `Datasets.FashionMNIST`
/// hands it out), whose 128-d penultimate features measure generated Fashion-MNIST images where Inception
/// features mean little.
///
/// Two stages of two 3x3 convolutions (32 then 64 channels, batch norm, ReLU) each followed by 2x2 max
/// pooling, then `fc1` 4096 -> 128 with ReLU (the features) and `fc2` 128 -> 10 (the logits); dropout 0.3
/// before `fc2` in training. Input: (N, 1, 32, 32) in [-1, 1], or uint8 (N, H, W, C) bytes (`x / 127.5 - 1`,
/// as `FashionMNIST` scales them; 28x28 images padded with background to 32x32; 3 channels averaged).
public final class FashionClassifier: Module, @unchecked Sendable {
    /// Side of the input images.
    public static let side = 32
    /// Dimension of the features.
    public static let featureDimension = 128
    /// Number of classes.
    public static let classCount = 10

    let conv1: Conv2d, bn1: BatchNorm2d
    let conv2: Conv2d, bn2: BatchNorm2d
    let conv3: Conv2d, bn3: BatchNorm2d
    let conv4: Conv2d, bn4: BatchNorm2d
    let fc1: Linear
    let dropout: Dropout
    let fc2: Linear

    /// A classifier with PyTorch's default initialisation drawn from `generator`.
    public init(generator: Generator? = nil) throws {
        conv1 = try Conv2d(1, 32, kernelSize: 3, padding: 1, bias: false, generator: generator)
        bn1 = try BatchNorm2d(32)
        conv2 = try Conv2d(32, 32, kernelSize: 3, padding: 1, bias: false, generator: generator)
        bn2 = try BatchNorm2d(32)
        conv3 = try Conv2d(32, 64, kernelSize: 3, padding: 1, bias: false, generator: generator)
        bn3 = try BatchNorm2d(64)
        conv4 = try Conv2d(64, 64, kernelSize: 3, padding: 1, bias: false, generator: generator)
        bn4 = try BatchNorm2d(64)
        fc1 = try Linear(64 * 8 * 8, Self.featureDimension, generator: generator)
        dropout = try Dropout(0.3)
        fc2 = try Linear(Self.featureDimension, Self.classCount, generator: generator)
        super.init()
        register("conv1", conv1); register("bn1", bn1)
        register("conv2", conv2); register("bn2", bn2)
        register("conv3", conv3); register("bn3", bn3)
        register("conv4", conv4); register("bn4", bn4)
        register("fc1", fc1)
        register("dropout", dropout)
        register("fc2", fc2)
    }

    /// Features (N, 128) and logits (N, 10) of images (N, 1, 32, 32) in [-1, 1].
    public func forward(_ x: Tensor) throws -> (features: Tensor, logits: Tensor) {
        guard x.rank == 4, x.size(1) == 1, x.size(2) == Self.side, x.size(3) == Self.side else {
            throw EvaluationError("the classifier takes images (N, 1, 32, 32), got \(x.shape)")
        }
        var h = try bn2(conv2(bn1(conv1(x)).relu())).relu()                        // (N, 32, 32, 32)
        h = try h.maxPool2d(kernel: [2, 2])                                         // (N, 32, 16, 16)
        h = try bn4(conv4(bn3(conv3(h)).relu())).relu()                             // (N, 64, 16, 16)
        h = try h.maxPool2d(kernel: [2, 2]).flatten(start: 1)                       // (N, 4096)
        let features = try fc1(h).relu()                                            // (N, 128)
        return (features, try fc2(dropout(features)))                               // (N, 10)
    }

    /// Features and logits of uint8 images (N, H, W, C): 32x32, or 28x28 (padded); C = 1 or 3 (averaged).
    public func features(bytes: Tensor) throws -> (features: Tensor, logits: Tensor) {
        try withNoGrad { try forward(Self.normalized(bytes, device: fc2.weight.tensor.device)) }
    }

    /// Whether the classifier takes images of this shape: 32x32 or 28x28 (padded), gray or RGB (averaged).
    public static func accepts(height: Int, width: Int, channels: Int) -> Bool {
        [1, 3].contains(channels) && height == width && [side, 28].contains(height)
    }

    /// uint8 images (N, H, W, C) as (N, 1, 32, 32) float32 in [-1, 1] on `device`.
    public static func normalized(_ bytes: Tensor, device: Device = .cpu) throws -> Tensor {
        guard bytes.dtype == .uint8, bytes.rank == 4, accepts(height: bytes.size(1), width: bytes.size(2), channels: bytes.size(3)) else {
            throw EvaluationError("the Fashion-MNIST classifier takes uint8 images (N, 32, 32, C) or (N, 28, 28, C) with C = 1 or 3, got \(bytes.dtype) \(bytes.shape)")
        }
        let n = bytes.size(0), h = bytes.size(1), w = bytes.size(2)
        var x = try bytes.to(.float32, device: device)                              // (N, H, W, C) in 0...255
        // Three equal channels average to the gray values exactly; both paths give standard NCHW strides,
        // so gray and gray-repeated-to-RGB images run through the same kernels and give the same bits.
        x = bytes.size(3) == 3 ? try x.mean(dims: [3]).unsqueeze(1) : try x.reshape([n, h, w]).unsqueeze(1)
        x = try x / 127.5 - 1
        if x.size(2) == 28 { x = try x.pad([2, 2, 2, 2], value: -1) }
        return try x.contiguous()
    }
}
