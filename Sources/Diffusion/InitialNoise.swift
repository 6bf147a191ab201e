import Torch

/// Initial noise that depends only on (seed, image index), never on how images are batched.
///
/// Image i's noise comes from its own `Generator`, seeded by mixing the run's seed with i
/// (SplitMix64), so sampling images 0..<64 in batches of 1, 8 or 64 starts from the same noise.
public enum InitialNoise {
    /// The generator seed of image `index` in a run seeded with `seed`.
    public static func imageSeed(seed: UInt64, index: Int) -> UInt64 {
        precondition(index >= 0, "image indices are non-negative")
        return mix(mix(seed) ^ UInt64(index))
    }

    /// Standard normal noise for the images `indices`: (indices.count, shape...), float32.
    /// - Parameter shape: one image's shape, e.g. [C, H, W].
    public static func make(seed: UInt64, indices: Range<Int>, shape: [Int], device: Device = .cpu) throws -> Tensor {
        guard !indices.isEmpty else { throw TorchError("no image indices to draw noise for") }
        guard indices.lowerBound >= 0 else { throw TorchError("image indices must be non-negative, got \(indices)") }
        let images = try indices.map { index -> Tensor in
            let generator = try Generator(seed: imageSeed(seed: seed, index: index))
            return try Tensor.randn([1] + shape, generator: generator)                // (1, shape...)
        }
        return try Tensor.cat(images).to(device: device)                                // (n, shape...)
    }

    /// SplitMix64's finaliser: a bijective scramble of 64 bits.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
