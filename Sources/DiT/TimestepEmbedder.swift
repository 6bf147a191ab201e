import Foundation
import NN
import Torch

/// The timestep embedding of DiT: sinusoidal features of the timestep, then Linear, SiLU, Linear.
///
/// State-dict names: `mlp.0.weight`, `mlp.0.bias`, `mlp.2.weight`, `mlp.2.bias` (the reference's names).
final class TimestepEmbedder: Module, @unchecked Sendable {
    let frequencies: Int
    let first: Linear
    let second: Linear

    /// Embeds into `dim` channels from `frequencies` sinusoidal features; weights N(0, 0.02) as the reference.
    init(dim: Int, frequencies: Int, generator: Generator?) throws {
        self.frequencies = frequencies
        first = try DiTInit.linear(frequencies, dim, generator: generator)
        second = try DiTInit.linear(dim, dim, generator: generator)
        try Init.normal_(first.weight.tensor, std: 0.02, generator: generator)
        try Init.normal_(second.weight.tensor, std: 0.02, generator: generator)
        super.init()
        register("mlp", NamedSlots([("0", first), ("2", second)]))
    }

    /// Timesteps (B) in [0, 1000], float -> (B, dim).
    func callAsFunction(_ t: Tensor) throws -> Tensor {
        try second(first(Self.sinusoidal(t, count: frequencies)).silu())
    }

    /// `[cos(t w_k), sin(t w_k)]` with `w_k = exp(-ln(10000) k / (count / 2))`, k < count / 2 (the reference's
    /// `timestep_embedding`, cosines first): (B) -> (B, count), float32.
    static func sinusoidal(_ t: Tensor, count: Int) throws -> Tensor {
        let half = count / 2
        let k = try Tensor.arange(0, Double(half), dtype: .float32).to(device: t.device)              // (half)
        let frequencies = try (k * -log(10_000.0) / Double(half)).exp()  // (half), the reference's order of operations
        let angles = try t.to(.float32).unsqueeze(1) * frequencies.unsqueeze(0)                          // (B, half)
        return try Tensor.cat([angles.cos(), angles.sin()], dim: 1)                                      // (B, count)
    }
}
