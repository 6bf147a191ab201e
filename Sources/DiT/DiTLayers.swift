import NN
import Torch

/// Layers of DiT built with the reference's initialisation (`DiT.initialize_weights`).
enum DiTInit {
    /// A Linear layer with a Glorot-uniform weight and a zero bias (every Linear of the reference before the
    /// zero and normal re-initialisations).
    static func linear(_ inFeatures: Int, _ outFeatures: Int, generator: Generator?) throws -> Linear {
        let layer = try Linear(inFeatures, outFeatures, generator: generator)
        try Init.xavierUniform_(layer.weight.tensor, generator: generator)
        if let b = layer.bias { try Init.zeros_(b.tensor) }
        return layer
    }

    /// A Linear layer whose weight and bias start at zero (adaLN-Zero's modulations and the final projection).
    static func zeroLinear(_ inFeatures: Int, _ outFeatures: Int, generator: Generator?) throws -> Linear {
        let layer = try Linear(inFeatures, outFeatures, generator: generator)
        try Init.zeros_(layer.weight.tensor)
        if let b = layer.bias { try Init.zeros_(b.tensor) }
        return layer
    }
}

/// Children registered under given names, for the reference's `nn.Sequential` slots whose parameter-free
/// members (SiLU) leave gaps in the numbering: `mlp.0`, `mlp.2`; `adaLN_modulation.1`.
final class NamedSlots: Module, @unchecked Sendable {
    init(_ slots: [(String, Module)]) {
        super.init()
        for (name, module) in slots { register(name, module) }
    }
}

/// `x * (1 + scale) + shift` with per-image shift and scale: x (B, T, D), shift and scale (B, D).
func modulate(_ x: Tensor, shift: Tensor, scale: Tensor) throws -> Tensor {
    try x * (scale.unsqueeze(1) + 1.0) + shift.unsqueeze(1)
}
