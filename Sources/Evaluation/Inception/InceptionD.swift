import NN
import Torch

/// The 17x17 -> 8x8 reduction block of Inception-v3 (torchvision's `InceptionD`, `Mixed_7a`).
public final class InceptionD: Module, @unchecked Sendable {
    let branch3x3_1: BasicConv2d
    let branch3x3_2: BasicConv2d
    let branch7x7x3_1: BasicConv2d
    let branch7x7x3_2: BasicConv2d
    let branch7x7x3_3: BasicConv2d
    let branch7x7x3_4: BasicConv2d

    /// A block from `inChannels` to 512 + `inChannels` channels.
    public init(_ inChannels: Int) throws {
        branch3x3_1 = try BasicConv2d(inChannels, 192, kernel: 1)
        branch3x3_2 = try BasicConv2d(192, 320, kernel: 3, stride: 2)
        branch7x7x3_1 = try BasicConv2d(inChannels, 192, kernel: 1)
        branch7x7x3_2 = try BasicConv2d(192, 192, kernel: (1, 7), padding: (0, 3))
        branch7x7x3_3 = try BasicConv2d(192, 192, kernel: (7, 1), padding: (3, 0))
        branch7x7x3_4 = try BasicConv2d(192, 192, kernel: 3, stride: 2)
        super.init()
        register("branch3x3_1", branch3x3_1)
        register("branch3x3_2", branch3x3_2)
        register("branch7x7x3_1", branch7x7x3_1)
        register("branch7x7x3_2", branch7x7x3_2)
        register("branch7x7x3_3", branch7x7x3_3)
        register("branch7x7x3_4", branch7x7x3_4)
    }

    /// (N, C, 17, 17) -> (N, 512 + C, 8, 8).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b3 = try branch3x3_2(branch3x3_1(x))                                        // (N, 320, H', W')
        let b7 = try branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x))))      // (N, 192, H', W')
        let bp = try x.maxPool2d(kernel: [3, 3], stride: [2, 2])                        // (N, C, H', W')
        return try Tensor.cat([b3, b7, bp], dim: 1)
    }
}
