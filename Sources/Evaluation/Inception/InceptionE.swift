import NN
import Torch

/// The 8x8 Inception block with expanded filter banks (torchvision's `InceptionE`, `Mixed_7b`, `Mixed_7c`)
/// as pytorch-fid runs it: `FIDInceptionE_1` (`Mixed_7b`) averages without counting the zero padding,
/// `FIDInceptionE_2` (`Mixed_7c`) max-pools in its pooling branch, as the TensorFlow graph does.
public final class InceptionE: Module, @unchecked Sendable {
    /// The pooling of the block's pooling branch (3x3 windows, stride 1, padding 1).
    public enum Pooling: Sendable {
        /// Average over the input pixels of the window (padding not counted): `FIDInceptionE_1`.
        case averageExcludingPadding
        /// Maximum: `FIDInceptionE_2`.
        case max
    }

    let pooling: Pooling
    let branch1x1: BasicConv2d
    let branch3x3_1: BasicConv2d
    let branch3x3_2a: BasicConv2d
    let branch3x3_2b: BasicConv2d
    let branch3x3dbl_1: BasicConv2d
    let branch3x3dbl_2: BasicConv2d
    let branch3x3dbl_3a: BasicConv2d
    let branch3x3dbl_3b: BasicConv2d
    let branchPool: BasicConv2d

    /// A block from `inChannels` to 2048 channels.
    public init(_ inChannels: Int, pooling: Pooling) throws {
        self.pooling = pooling
        branch1x1 = try BasicConv2d(inChannels, 320, kernel: 1)
        branch3x3_1 = try BasicConv2d(inChannels, 384, kernel: 1)
        branch3x3_2a = try BasicConv2d(384, 384, kernel: (1, 3), padding: (0, 1))
        branch3x3_2b = try BasicConv2d(384, 384, kernel: (3, 1), padding: (1, 0))
        branch3x3dbl_1 = try BasicConv2d(inChannels, 448, kernel: 1)
        branch3x3dbl_2 = try BasicConv2d(448, 384, kernel: 3, padding: 1)
        branch3x3dbl_3a = try BasicConv2d(384, 384, kernel: (1, 3), padding: (0, 1))
        branch3x3dbl_3b = try BasicConv2d(384, 384, kernel: (3, 1), padding: (1, 0))
        branchPool = try BasicConv2d(inChannels, 192, kernel: 1)
        super.init()
        register("branch1x1", branch1x1)
        register("branch3x3_1", branch3x3_1)
        register("branch3x3_2a", branch3x3_2a)
        register("branch3x3_2b", branch3x3_2b)
        register("branch3x3dbl_1", branch3x3dbl_1)
        register("branch3x3dbl_2", branch3x3dbl_2)
        register("branch3x3dbl_3a", branch3x3dbl_3a)
        register("branch3x3dbl_3b", branch3x3dbl_3b)
        register("branch_pool", branchPool)
    }

    /// (N, C, 8, 8) -> (N, 2048, 8, 8).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b1 = try branch1x1(x)                                                       // (N, 320, H, W)
        let s3 = try branch3x3_1(x)
        let b3 = try Tensor.cat([branch3x3_2a(s3), branch3x3_2b(s3)], dim: 1)           // (N, 768, H, W)
        let s3dbl = try branch3x3dbl_2(branch3x3dbl_1(x))
        let b3dbl = try Tensor.cat([branch3x3dbl_3a(s3dbl), branch3x3dbl_3b(s3dbl)], dim: 1)  // (N, 768, H, W)
        let pooled: Tensor
        switch pooling {
        case .averageExcludingPadding:
            pooled = try x.avgPool2d(kernel: [3, 3], stride: [1, 1], padding: [1, 1], countIncludePad: false)
        case .max:
            pooled = try x.maxPool2d(kernel: [3, 3], stride: [1, 1], padding: [1, 1])
        }
        let bp = try branchPool(pooled)                                                 // (N, 192, H, W)
        return try Tensor.cat([b1, b3, b3dbl, bp], dim: 1)
    }
}
