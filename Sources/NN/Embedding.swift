import Torch

/// A lookup table of `count` vectors of size `dim`, as `nn.Embedding` (parameter `weight`).
public final class Embedding: Module, @unchecked Sendable {
    /// Number of rows (the vocabulary or class count).
    public let count: Int
    /// Size of each vector.
    public let dim: Int
    /// The table, (count, dim), initialised from N(0, 1) like PyTorch's.
    public let weight: Parameter

    /// A table with PyTorch's default N(0, 1) initialisation drawn from `generator` (the default one when nil).
    public init(_ count: Int, _ dim: Int, generator: Generator? = nil) throws {
        guard count > 0, dim > 0 else { throw TorchError("Embedding needs positive sizes, got \(count) x \(dim)") }
        self.count = count
        self.dim = dim
        weight = try Parameter(Tensor.empty([count, dim]))
        super.init()
        register("weight", parameter: weight)
        try Init.normal_(weight.tensor, generator: generator)
    }

    /// Looks up integer indices: (...) -> (..., dim).
    public func callAsFunction(_ indices: Tensor) throws -> Tensor {
        try Tensor.embedding(weight.tensor, indices: indices)  // (..., dim)
    }
}
