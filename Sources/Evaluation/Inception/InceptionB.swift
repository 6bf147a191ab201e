import NN
import Torch

/// The 35x35 -> 17x17 reduction block of Inception-v3 (torchvision's `InceptionB`, `Mixed_6a`).
public final class InceptionB: Module, @unchecked Sendable {
    let branch3x3: BasicConv2d
    let branch3x3dbl_1: BasicConv2d
    let branch3x3dbl_2: BasicConv2d
    let branch3x3dbl_3: BasicConv2d

    /// A block from `inChannels` to 480 + `inChannels` channels.
    public init(_ inChannels: Int) throws {
        branch3x3 = try BasicConv2d(inChannels, 384, kernel: 3, stride: 2)
        branch3x3dbl_1 = try BasicConv2d(inChannels, 64, kernel: 1)
        branch3x3dbl_2 = try BasicConv2d(64, 96, kernel: 3, padding: 1)
        branch3x3dbl_3 = try BasicConv2d(96, 96, kernel: 3, stride: 2)
        super.init()
        register("branch3x3", branch3x3)
        register("branch3x3dbl_1", branch3x3dbl_1)
        register("branch3x3dbl_2", branch3x3dbl_2)
        register("branch3x3dbl_3", branch3x3dbl_3)
    }

    /// (N, C, 35, 35) -> (N, 480 + C, 17, 17).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b3 = try branch3x3(x)                                           // (N, 384, H', W')
        let b3dbl = try branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)))   // (N, 96, H', W')
        let bp = try x.maxPool2d(kernel: [3, 3], stride: [2, 2])            // (N, C, H', W')
        return try Tensor.cat([b3, b3dbl, bp], dim: 1)
    }
}
