import Torch

/// Zeroes elements with probability `p` and scales the rest by 1 / (1 - p) in training mode;
/// the identity in evaluation mode, as `nn.Dropout`. Draws from `generator`, or from libtorch's
/// default generator (the same draws as `nn.Dropout`) when it is nil.
public final class Dropout: Module, @unchecked Sendable {
    /// Probability of zeroing an element.
    public let p: Double
    /// The generator the masks are drawn from (nil: libtorch's default CPU generator).
    public var generator: Generator?

    /// A dropout layer with drop probability `p` in [0, 1].
    public init(_ p: Double = 0.5) throws {
        guard p >= 0, p <= 1 else { throw TorchError("Dropout probability must be in [0, 1], got \(p)") }
        self.p = p
        super.init()
    }

    /// Applies dropout when `isTraining`, otherwise returns `x` itself: same shape.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard isTraining, p > 0 else { return x }
        guard let generator else { return try x.dropout(p, training: true) }
        if p == 1 { return try x * 0.0 }
        let keep = try Tensor.full(x.shape, 1 - p, dtype: x.dtype, device: x.device).bernoulli(generator: generator)
        return try x * keep / (1 - p)
    }
}
