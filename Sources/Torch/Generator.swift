import CTorch

/// A random-number generator with PyTorch's CPU algorithm (Mersenne Twister + Box-Muller):
/// the same seed gives the same numbers as `torch.Generator().manual_seed(seed)`.
public final class Generator: @unchecked Sendable {
    let handle: OpaquePointer

    /// A new generator seeded with `seed`.
    public init(seed: UInt64) throws {
        guard let h = ct_generator_new(seed) else { throw TorchError.last() }
        handle = h
    }

    private init(handle: OpaquePointer) { self.handle = handle }

    /// libtorch's default CPU generator (seeded by `Torch.manualSeed`).
    public static func defaultCPU() throws -> Generator {
        guard let h = ct_generator_default() else { throw TorchError.last() }
        return Generator(handle: h)
    }

    deinit { ct_generator_free(handle) }

    /// Re-seeds the generator.
    public func manualSeed(_ seed: UInt64) throws { try check(ct_generator_seed(handle, seed)) }

    /// The full generator state as a uint8 tensor, for checkpoints.
    public func state() throws -> Tensor { try wrap(ct_generator_get_state(handle)) }

    /// Restores a state from `state()`.
    public func setState(_ state: Tensor) throws { try check(ct_generator_set_state(handle, state.handle)) }
}

extension Tensor {
    /// Standard normal samples, as `torch.randn`.
    public static func randn(_ shape: [Int], dtype: DType = .float32, generator: Generator? = nil,
                             device: Device = .cpu) throws -> Tensor {
        try device.validate()
        return try withExtendedLifetime(generator) {
            try withInt64s(shape) {
                try wrap(ct_randn($0, $1, dtype.rawValue, generator?.handle, device.typeCode, device.index))
            }
        }
    }

    /// Uniform samples in [0, 1), as `torch.rand`.
    public static func rand(_ shape: [Int], dtype: DType = .float32, generator: Generator? = nil,
                            device: Device = .cpu) throws -> Tensor {
        try device.validate()
        return try withExtendedLifetime(generator) {
            try withInt64s(shape) {
                try wrap(ct_rand($0, $1, dtype.rawValue, generator?.handle, device.typeCode, device.index))
            }
        }
    }

    /// Integer samples in [low, high), as `torch.randint` (int64).
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], generator: Generator? = nil,
                               device: Device = .cpu) throws -> Tensor {
        try device.validate()
        return try withExtendedLifetime(generator) {
            try withInt64s(shape) {
                try wrap(ct_randint(Int64(low), Int64(high), $0, $1, generator?.handle, device.typeCode, device.index))
            }
        }
    }

    /// A random permutation of 0..<n, as `torch.randperm`.
    public static func randperm(_ n: Int, generator: Generator? = nil) throws -> Tensor {
        try withExtendedLifetime(generator) { try wrap(ct_randperm(Int64(n), generator?.handle)) }
    }

    /// Bernoulli samples with the probabilities in this tensor.
    public func bernoulli(generator: Generator? = nil) throws -> Tensor {
        try withExtendedLifetime(generator) { try wrap(ct_bernoulli(handle, generator?.handle)) }
    }

    /// Fills in place with normal samples, outside autograd.
    public func normal_(mean: Double = 0, std: Double = 1, generator: Generator? = nil) throws {
        try withExtendedLifetime(generator) { try check(ct_normal_(handle, mean, std, generator?.handle)) }
    }

    /// Fills in place with uniform samples in [from, to), outside autograd.
    public func uniform_(from: Double = 0, to: Double = 1, generator: Generator? = nil) throws {
        try withExtendedLifetime(generator) { try check(ct_uniform_(handle, from, to, generator?.handle)) }
    }
}
