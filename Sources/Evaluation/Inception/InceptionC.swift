import NN
import Torch

/// The 17x17 Inception block with factorised 7x7 convolutions (torchvision's `InceptionC`, `Mixed_6b`
/// to `Mixed_6e`) as pytorch-fid's `FIDInceptionC` runs it: the pooling branch averages without counting
/// the zero padding.
///
/// `branch1x1`'s output is TensorFlow's `mixed_N/conv` tensor; that of `Mixed_6d` (TF `mixed_6`) gives the
/// spatial features of sFID.
public final class InceptionC: Module, @unchecked Sendable {
    let branch1x1: BasicConv2d
    let branch7x7_1: BasicConv2d
    let branch7x7_2: BasicConv2d
    let branch7x7_3: BasicConv2d
    let branch7x7dbl_1: BasicConv2d
    let branch7x7dbl_2: BasicConv2d
    let branch7x7dbl_3: BasicConv2d
    let branch7x7dbl_4: BasicConv2d
    let branch7x7dbl_5: BasicConv2d
    let branchPool: BasicConv2d

    /// A block from `inChannels` to 768 channels with `channels7x7` channels inside the 7x7 branches.
    public init(_ inChannels: Int, channels7x7 c7: Int) throws {
        branch1x1 = try BasicConv2d(inChannels, 192, kernel: 1)
        branch7x7_1 = try BasicConv2d(inChannels, c7, kernel: 1)
        branch7x7_2 = try BasicConv2d(c7, c7, kernel: (1, 7), padding: (0, 3))
        branch7x7_3 = try BasicConv2d(c7, 192, kernel: (7, 1), padding: (3, 0))
        branch7x7dbl_1 = try BasicConv2d(inChannels, c7, kernel: 1)
        branch7x7dbl_2 = try BasicConv2d(c7, c7, kernel: (7, 1), padding: (3, 0))
        branch7x7dbl_3 = try BasicConv2d(c7, c7, kernel: (1, 7), padding: (0, 3))
        branch7x7dbl_4 = try BasicConv2d(c7, c7, kernel: (7, 1), padding: (3, 0))
        branch7x7dbl_5 = try BasicConv2d(c7, 192, kernel: (1, 7), padding: (0, 3))
        branchPool = try BasicConv2d(inChannels, 192, kernel: 1)
        super.init()
        register("branch1x1", branch1x1)
        register("branch7x7_1", branch7x7_1)
        register("branch7x7_2", branch7x7_2)
        register("branch7x7_3", branch7x7_3)
        register("branch7x7dbl_1", branch7x7dbl_1)
        register("branch7x7dbl_2", branch7x7dbl_2)
        register("branch7x7dbl_3", branch7x7dbl_3)
        register("branch7x7dbl_4", branch7x7dbl_4)
        register("branch7x7dbl_5", branch7x7dbl_5)
        register("branch_pool", branchPool)
    }

    /// (N, C, 17, 17) -> (N, 768, 17, 17), and the `branch1x1` output (N, 192, 17, 17) on its own.
    public func forward(_ x: Tensor) throws -> (output: Tensor, branch1x1: Tensor) {
        let b1 = try branch1x1(x)                                                   // (N, 192, H, W)
        let b7 = try branch7x7_3(branch7x7_2(branch7x7_1(x)))                       // (N, 192, H, W)
        var b7dbl = try branch7x7dbl_2(branch7x7dbl_1(x))
        b7dbl = try branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(b7dbl)))           // (N, 192, H, W)
        let pooled = try x.avgPool2d(kernel: [3, 3], stride: [1, 1], padding: [1, 1], countIncludePad: false)
        let bp = try branchPool(pooled)                                             // (N, 192, H, W)
        return (try Tensor.cat([b1, b7, b7dbl, bp], dim: 1), b1)
    }

    /// (N, C, 17, 17) -> (N, 768, 17, 17).
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x).output }
}
