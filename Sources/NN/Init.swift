import Foundation
import Torch

/// Weight initialisers with `torch.nn.init` semantics; each fills a tensor in place outside autograd
/// and draws from `generator` (libtorch's default CPU generator when nil).
public enum Init {
    /// Whether initialisers leave tensors as they are (see `skipping`).
    @TaskLocal public static var isSkipping = false

    /// Runs `body` with every initialiser a no-op: layers built inside keep the uninitialised memory
    /// of `Tensor.empty`, which the operating system does not even commit until it is written. For
    /// models whose weights a file will replace (`loadStateDict(_:assign:)`): building DiMR-XL then
    /// costs neither the time of drawing 600 million numbers nor their memory.
    public static func skipping<R>(_ body: () throws -> R) rethrows -> R {
        try $isSkipping.withValue(true) { try body() }
    }

    /// Fan-in and fan-out of a weight as PyTorch computes them: dimension 1 and dimension 0, each
    /// times the receptive field (the product of the dimensions after the first two).
    public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "fan in and fan out need a weight of rank >= 2, got shape \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// Uniform in [low, high), as `nn.init.uniform_`.
    public static func uniform_(_ tensor: Tensor, _ low: Double, _ high: Double, generator: Generator? = nil) throws {
        guard !isSkipping else { return }
        try tensor.uniform_(from: low, to: high, generator: generator)
    }

    /// Normal with `mean` and `std`, as `nn.init.normal_`.
    public static func normal_(_ tensor: Tensor, mean: Double = 0, std: Double = 1, generator: Generator? = nil) throws {
        guard !isSkipping else { return }
        try tensor.normal_(mean: mean, std: std, generator: generator)
    }

    /// Normal truncated to [a, b] by the inverse-CDF method of timm's `trunc_normal_` (the one the
    /// DiMR authors call; bounds are absolute, so with std 0.02 and ±2 it is in effect untruncated).
    public static func truncatedNormal_(_ tensor: Tensor, mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2,
                                        generator: Generator? = nil) throws {
        guard !isSkipping else { return }
        try tensor.truncatedNormal_(mean: mean, std: std, a: a, b: b, generator: generator)
    }

    /// Fills with zeros, as `nn.init.zeros_`.
    public static func zeros_(_ tensor: Tensor) throws {
        guard !isSkipping else { return }
        try tensor.zero_()
    }

    /// Fills with ones, as `nn.init.ones_`.
    public static func ones_(_ tensor: Tensor) throws {
        guard !isSkipping else { return }
        try tensor.fill_(1)
    }

    /// Fills with `value`, as `nn.init.constant_`.
    public static func constant_(_ tensor: Tensor, _ value: Double) throws {
        guard !isSkipping else { return }
        try tensor.fill_(value)
    }

    /// He-uniform over the fan-in for a leaky-ReLU slope `a`, as `nn.init.kaiming_uniform_`
    /// (mode `fan_in`); `a = sqrt(5)` is the default of `nn.Linear` and `nn.Conv2d`.
    public static func kaimingUniform_(_ tensor: Tensor, a: Double = 0, generator: Generator? = nil) throws {
        guard !isSkipping else { return }
        let fanIn = fans(of: tensor.shape).fanIn
        guard fanIn > 0 else { return }
        // The same double operations as PyTorch's calculate_gain / kaiming_uniform_, so bounds agree to the bit.
        let gain = (2.0 / (1 + pow(a, 2))).squareRoot()
        let std = gain / Double(fanIn).squareRoot()
        let bound = 3.0.squareRoot() * std
        try tensor.uniform_(from: -bound, to: bound, generator: generator)
    }

    /// Glorot-uniform, as `nn.init.xavier_uniform_`: uniform in ±sqrt(6 / (fan_in + fan_out)) with the fans of
    /// `fans(of:)` for the tensor's shape (rank >= 2).
    public static func xavierUniform_(_ tensor: Tensor, generator: Generator? = nil) throws {
        guard !isSkipping else { return }
        let (fanIn, fanOut) = fans(of: tensor.shape)
        guard fanIn + fanOut > 0 else { return }
        let bound = (6.0 / Double(fanIn + fanOut)).squareRoot()
        try tensor.uniform_(from: -bound, to: bound, generator: generator)
    }

    /// PyTorch's default initialisation of a Linear or convolution layer: Kaiming-uniform weight
    /// with `a = sqrt(5)`, then a bias uniform in ±1/sqrt(fan_in) (weight drawn first).
    public static func defaultLayer_(weight: Tensor, bias: Tensor?, generator: Generator? = nil) throws {
        guard !isSkipping else { return }
        try kaimingUniform_(weight, a: 5.0.squareRoot(), generator: generator)
        if let bias {
            let fanIn = fans(of: weight.shape).fanIn
            let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
            try bias.uniform_(from: -bound, to: bound, generator: generator)
        }
    }
}
