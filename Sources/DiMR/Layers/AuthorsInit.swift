import NN
import Torch

/// Layers with the DiMR authors' initialisation. They are built like PyTorch builds them (default init
/// first, then the authors' re-init), so that the random draws happen in the same order as in their code.
enum AuthorsInit {
    /// A Linear layer with a truncated-normal (std 0.02) weight and a zero bias.
    static func linear(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: Generator?) throws -> Linear {
        let layer = try Linear(inFeatures, outFeatures, bias: bias, generator: generator)
        try Init.truncatedNormal_(layer.weight.tensor, std: 0.02, generator: generator)
        if let b = layer.bias { try b.tensor.zero_() }
        return layer
    }

    /// An embedding table with a truncated-normal (std 0.02) weight.
    static func embedding(_ count: Int, _ dim: Int, generator: Generator?) throws -> Embedding {
        let table = try Embedding(count, dim, generator: generator)
        try Init.truncatedNormal_(table.weight.tensor, std: 0.02, generator: generator)
        return table
    }
}
