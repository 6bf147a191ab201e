import DiT
import Foundation
import NN
import Testing
import TestSupport
import Torch

/// The DiT baseline against the reference implementation (facebookresearch/DiT `models.py`), from the fixture
/// of scripts/refs/dit_fixture.py: a tiny DiT with every weight random.
@Suite("DiT parity")
struct DiTParityTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/dit_tiny.safetensors").path
    /// The fixture's model: 1x8x8, patch 2, 3 classes + null, 2 blocks of 32 with 4 heads.
    static let config = DiTConfig(channels: 1, numClasses: 4, inputSize: 8, patchSize: 2, hiddenSize: 32, depth: 2, numHeads: 4)

    /// Float32 bound for the whole forward pass. Its longest chain of dependent roundings: the patch and timestep
    /// embeddings (dot products of 4 and 256 terms, sin/cos), then per block a LayerNorm (two sums of 32), the
    /// qkv dot product (32), scores (8), softmax (exp and a sum of 16), the weighted values (16), the projection
    /// (32), the MLP (32, tanh-GELU, 128) and the residual adds, about 340 roundings; two blocks and the final
    /// layer (LayerNorm, 32) give under 1,000. The outputs are sums of terms of mixed sign no larger than the
    /// output itself by more than a small factor (random weights of std 0.2 keep the residual stream O(1)), so
    /// the condition number is taken as 1 and the bound doubled for it.
    static let tolerance = Float32Tolerance.depth(1_000, condition: 2)

    func loaded() throws -> (DiTModel, SafeTensorsFile) {
        let file = try SafeTensorsFile(path: Self.fixture)
        let model = try Init.skipping { try DiTModel(config: Self.config) }
        var state: [String: Tensor] = [:]
        for name in file.entries.keys where name.hasPrefix("model.") && name != "model.pos_embed" {
            state[String(name.dropFirst("model.".count))] = try file.tensor(name)
        }
        try model.loadStateDict(state)
        model.eval()
        return (model, file)
    }

    @Test("noise predictions match the reference for per-sample and shared timesteps")
    func forward() throws {
        let (model, file) = try loaded()
        let x = try file.tensor("input.x"), y = try file.tensor("input.y")
        let eps = try withNoGrad { try model.forward(x, timesteps: file.tensor("input.t"), classes: y) }
        #expect(eps.shape == [5, 1, 8, 8])
        #expect(try eps.relativeError(to: file.tensor("output.eps")) <= Self.tolerance)
        // One timestep for the batch, given as (1) and broadcast, is the reference's (B) of equal values.
        let shared = try withNoGrad { try model.forward(x, timesteps: Tensor([Float(421)]), classes: y) }
        #expect(try shared.relativeError(to: file.tensor("output.eps_shared")) <= Self.tolerance)
    }

    @Test("the fixed position embedding is the reference's get_2d_sincos_pos_embed")
    func positionEmbedding() throws {
        let (model, file) = try loaded()
        // sin and cos of angles up to 3 rad, each a library call on a product of two roundings.
        let tolerance = Float32Tolerance.depth(Float32Tolerance.libraryFunctionDepth + 2)
        #expect(try model.positionEmbedding.relativeError(to: file.tensor("model.pos_embed")) <= tolerance)
    }

    @Test("parameter count from the configuration equals the built model's and the reference's")
    func parameterCount() throws {
        let (model, file) = try loaded()
        #expect(model.parameterCount == Self.config.parameterCount)
        #expect(String(Self.config.parameterCount) == file.metadata["parameters"])
    }

    @Test("FLOPs per forward equal PyTorch's FlopCounterMode count plus the attention products it leaves out")
    func flops() throws {
        let file = try SafeTensorsFile(path: Self.fixture)
        let counted = try #require(file.metadata["flops_per_forward"].flatMap(Double.init))
        let c = Self.config
        // scores Q K^T and softmax(.) V: 2 T^2 D multiply-adds each, per block (libtorch's CPU attention kernel is
        // not one FlopCounterMode counts).
        let attention = Double(c.depth) * 2 * (2 * Double(c.tokenCount * c.tokenCount * c.hiddenSize))
        #expect(c.flopsPerForward == counted + attention)
    }
}
