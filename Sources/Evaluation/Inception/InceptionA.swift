import NN
import Torch

/// The 35x35 Inception block (torchvision's `InceptionA`, `Mixed_5b` to `Mixed_5d`) as pytorch-fid's
/// `FIDInceptionA` runs it: its pooling branch averages 3x3 windows without counting the zero padding,
/// as TensorFlow's average pool does.
public final class InceptionA: Module, @unchecked Sendable {
    let branch1x1: BasicConv2d
    let branch5x5_1: BasicConv2d
    let branch5x5_2: BasicConv2d
    let branch3x3dbl_1: BasicConv2d
    let branch3x3dbl_2: BasicConv2d
    let branch3x3dbl_3: BasicConv2d
    let branchPool: BasicConv2d

    /// A block from `inChannels` to 224 + `poolFeatures` channels.
    public init(_ inChannels: Int, poolFeatures: Int) throws {
        branch1x1 = try BasicConv2d(inChannels, 64, kernel: 1)
        branch5x5_1 = try BasicConv2d(inChannels, 48, kernel: 1)
        branch5x5_2 = try BasicConv2d(48, 64, kernel: 5, padding: 2)
        branch3x3dbl_1 = try BasicConv2d(inChannels, 64, kernel: 1)
        branch3x3dbl_2 = try BasicConv2d(64, 96, kernel: 3, padding: 1)
        branch3x3dbl_3 = try BasicConv2d(96, 96, kernel: 3, padding: 1)
        branchPool = try BasicConv2d(inChannels, poolFeatures, kernel: 1)
        super.init()
        register("branch1x1", branch1x1)
        register("branch5x5_1", branch5x5_1)
        register("branch5x5_2", branch5x5_2)
        register("branch3x3dbl_1", branch3x3dbl_1)
        register("branch3x3dbl_2", branch3x3dbl_2)
        register("branch3x3dbl_3", branch3x3dbl_3)
        register("branch_pool", branchPool)
    }

    /// (N, C, 35, 35) -> (N, 224 + poolFeatures, 35, 35).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b1 = try branch1x1(x)                                           // (N, 64, H, W)
        let b5 = try branch5x5_2(branch5x5_1(x))                            // (N, 64, H, W)
        let b3 = try branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)))      // (N, 96, H, W)
        let pooled = try x.avgPool2d(kernel: [3, 3], stride: [1, 1], padding: [1, 1], countIncludePad: false)
        let bp = try branchPool(pooled)                                     // (N, poolFeatures, H, W)
        return try Tensor.cat([b1, b5, b3, bp], dim: 1)
    }
}
