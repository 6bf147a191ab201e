import NN
import Torch

/// Inception-v3 as the FID is computed with it: pytorch-fid's `fid_inception_v3` (TensorFlow's
/// `inception-2015-12-05` graph ported to PyTorch), with the state-dict names of
/// `pt_inception-2015-12-05-6726825d.pth`.
///
/// Differences from torchvision's Inception-v3, all as pytorch-fid has them: 1008 classes, no auxiliary
/// classifier, `Mixed_5b`-`Mixed_5d`, `Mixed_6b`-`Mixed_6e` and `Mixed_7b` average-pool without counting
/// the zero padding (`count_include_pad=False`), and `Mixed_7c` max-pools in its pooling branch.
///
/// Input: images (N, 3, H, W) in [0, 1] (`features(images:)`) or uint8 (N, H, W, C) bytes with C = 1 or 3
/// (`features(bytes:)`: x / 255, gray repeated to RGB). They are resized to 299x299 bilinearly with
/// `align_corners=False` (`F.interpolate`, no antialiasing, as pytorch-fid does; the ADM evaluator's
/// TensorFlow graph resizes with TF1's `resize_bilinear`, which samples at other positions) and scaled to
/// [-1, 1] by 2x - 1.
///
/// Outputs (`InceptionFeatures`): the 2048-d pool3 features (pytorch-fid's output block 3, TF `pool_3`);
/// the 1008 logits `pool3 · fc.weightᵀ` without the bias, which the ADM evaluator's Inception Score
/// applies a softmax to (its graph takes `softmax/logits/MatMul`'s weight only); and the 2023-d sFID
/// features: TF's `mixed_6/conv` tensor (the ReLU output of `Mixed_6d.branch1x1`, 192 x 17 x 17; TF's
/// `mixed_4`...`mixed_7` are `Mixed_6b`...`Mixed_6e`), its first 7 channels as the ADM evaluator slices
/// them (`spatial[..., :7]`), flattened in TF's (H, W, C) order: 17 x 17 x 7.
public final class FIDInceptionV3: Module, @unchecked Sendable {
    /// Side of the square input the network sees.
    public static let inputSide = 299
    /// Dimension of the pool3 features.
    public static let poolDimension = 2048
    /// Number of logits (TensorFlow's 1008 classes).
    public static let logitCount = 1008
    /// Channels of `mixed_6/conv` kept for sFID.
    public static let spatialChannels = 7
    /// Side of the `mixed_6/conv` map at 299x299 input.
    public static let spatialSide = 17
    /// Dimension of the sFID features: 17 * 17 * 7.
    public static let spatialDimension = spatialSide * spatialSide * spatialChannels

    let conv2d_1a: BasicConv2d
    let conv2d_2a: BasicConv2d
    let conv2d_2b: BasicConv2d
    let conv2d_3b: BasicConv2d
    let conv2d_4a: BasicConv2d
    let mixed5b: InceptionA
    let mixed5c: InceptionA
    let mixed5d: InceptionA
    let mixed6a: InceptionB
    let mixed6b: InceptionC
    let mixed6c: InceptionC
    let mixed6d: InceptionC
    let mixed6e: InceptionC
    let mixed7a: InceptionD
    let mixed7b: InceptionE
    let mixed7c: InceptionE
    /// The 2048 -> 1008 classifier (`fc`); its bias is not used by `logits` (see the type's notes).
    public let fc: Linear

    /// The network with uninitialised weights (every convolution `torch.empty`), in evaluation mode:
    /// load a state dict into it (`load(path:)` reads the weights file).
    public override init() {
        do {
            conv2d_1a = try BasicConv2d(3, 32, kernel: 3, stride: 2)
            conv2d_2a = try BasicConv2d(32, 32, kernel: 3)
            conv2d_2b = try BasicConv2d(32, 64, kernel: 3, padding: 1)
            conv2d_3b = try BasicConv2d(64, 80, kernel: 1)
            conv2d_4a = try BasicConv2d(80, 192, kernel: 3)
            mixed5b = try InceptionA(192, poolFeatures: 32)
            mixed5c = try InceptionA(256, poolFeatures: 64)
            mixed5d = try InceptionA(288, poolFeatures: 64)
            mixed6a = try InceptionB(288)
            mixed6b = try InceptionC(768, channels7x7: 128)
            mixed6c = try InceptionC(768, channels7x7: 160)
            mixed6d = try InceptionC(768, channels7x7: 160)
            mixed6e = try InceptionC(768, channels7x7: 192)
            mixed7a = try InceptionD(768)
            mixed7b = try InceptionE(1280, pooling: .averageExcludingPadding)
            mixed7c = try InceptionE(2048, pooling: .max)
            fc = try Init.skipping { try Linear(2048, 1008) }
        } catch {
            preconditionFailure("building Inception-v3 with fixed, valid sizes failed: \(error)")
        }
        super.init()
        register("Conv2d_1a_3x3", conv2d_1a)
        register("Conv2d_2a_3x3", conv2d_2a)
        register("Conv2d_2b_3x3", conv2d_2b)
        register("Conv2d_3b_1x1", conv2d_3b)
        register("Conv2d_4a_3x3", conv2d_4a)
        register("Mixed_5b", mixed5b)
        register("Mixed_5c", mixed5c)
        register("Mixed_5d", mixed5d)
        register("Mixed_6a", mixed6a)
        register("Mixed_6b", mixed6b)
        register("Mixed_6c", mixed6c)
        register("Mixed_6d", mixed6d)
        register("Mixed_6e", mixed6e)
        register("Mixed_7a", mixed7a)
        register("Mixed_7b", mixed7b)
        register("Mixed_7c", mixed7c)
        register("fc", fc)
        eval()
    }

    /// The floating-point type of the weights (inputs are converted to it).
    public var dtype: DType { fc.weight.tensor.dtype }
    /// The device of the weights (inputs are moved to it).
    public var device: Device { fc.weight.tensor.device }

    /// Features of images (N, 3, H, W) with values in [0, 1], any H, W >= 1; see the type's notes.
    /// - Throws: `EvaluationError` for another shape; libtorch's errors.
    public func features(images: Tensor) throws -> InceptionFeatures {
        guard images.rank == 4, images.size(1) == 3, images.size(2) > 0, images.size(3) > 0 else {
            throw EvaluationError("Inception-v3 takes images (N, 3, H, W), got \(images.shape)")
        }
        return try withNoGrad {
            var x = try images.to(dtype, device: device)
            x = try x.interpolate(size: (Self.inputSide, Self.inputSide), mode: .bilinear(alignCorners: false))
            x = try x * 2 - 1                                                       // (N, 3, 299, 299) in [-1, 1]
            x = try conv2d_2b(conv2d_2a(conv2d_1a(x)))                              // (N, 64, 147, 147)
            x = try x.maxPool2d(kernel: [3, 3], stride: [2, 2])                      // (N, 64, 73, 73)
            x = try conv2d_4a(conv2d_3b(x))                                         // (N, 192, 71, 71)
            x = try x.maxPool2d(kernel: [3, 3], stride: [2, 2])                      // (N, 192, 35, 35)
            x = try mixed5d(mixed5c(mixed5b(x)))                                    // (N, 288, 35, 35)
            x = try mixed6c(mixed6b(mixed6a(x)))                                    // (N, 768, 17, 17)
            let sixD = try mixed6d.forward(x)
            x = try mixed7c(mixed7b(mixed7a(mixed6e(sixD.output))))                 // (N, 2048, 8, 8)
            let pool = try x.mean(dims: [2, 3])                                     // (N, 2048)
            let logits = try pool.matmul(fc.weight.tensor.transpose(0, 1))          // (N, 1008)
            let spatial = try sixD.branch1x1.narrow(dim: 1, start: 0, length: Self.spatialChannels)
                .permute([0, 2, 3, 1]).reshape([images.size(0), -1])                // (N, 17 * 17 * 7)
            return InceptionFeatures(pool: pool, logits: logits, spatial: spatial)
        }
    }

    /// Features of uint8 images (N, H, W, C), C = 1 (repeated to RGB) or 3, read as x / 255.
    public func features(bytes: Tensor) throws -> InceptionFeatures {
        try features(images: ImageBatch.unitRange(bytes, channels: 3, dtype: dtype))
    }
}
