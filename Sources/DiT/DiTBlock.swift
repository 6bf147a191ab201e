import NN
import Torch

/// One DiT block with adaLN-Zero: attention and MLP, each on a LayerNorm'ed input shifted and scaled by the
/// condition and gated by it, the six modulations coming from one zero-initialised Linear of `SiLU(c)`.
///
/// State-dict names (the reference's): `attn.qkv.*`, `attn.proj.*`, `mlp.fc1.*`, `mlp.fc2.*`,
/// `adaLN_modulation.1.*`. The LayerNorms have no parameters (eps 1e-6).
final class DiTBlock: Module, @unchecked Sendable {
    let heads: Int
    let qkv: Linear
    let proj: Linear
    let fc1: Linear
    let fc2: Linear
    let modulation: Linear

    init(dim: Int, heads: Int, mlpHidden: Int, generator: Generator?) throws {
        self.heads = heads
        qkv = try DiTInit.linear(dim, 3 * dim, generator: generator)
        proj = try DiTInit.linear(dim, dim, generator: generator)
        fc1 = try DiTInit.linear(dim, mlpHidden, generator: generator)
        fc2 = try DiTInit.linear(mlpHidden, dim, generator: generator)
        modulation = try DiTInit.zeroLinear(dim, 6 * dim, generator: generator)
        super.init()
        register("attn", NamedSlots([("qkv", qkv), ("proj", proj)]))
        register("mlp", NamedSlots([("fc1", fc1), ("fc2", fc2)]))
        register("adaLN_modulation", NamedSlots([("1", modulation)]))
    }

    /// Tokens x (B, T, D) and condition c (B, D) -> (B, T, D).
    func callAsFunction(_ x: Tensor, condition c: Tensor) throws -> Tensor {
        let dim = x.size(2)
        let m = try modulation(c.silu()).chunk(6, dim: 1)  // 6 x (B, D): shift, scale, gate for attention, then MLP
        let h = try modulate(x.layerNorm([dim], eps: 1e-6), shift: m[0], scale: m[1])
        var out = try x + m[2].unsqueeze(1) * attention(h)
        let g = try modulate(out.layerNorm([dim], eps: 1e-6), shift: m[3], scale: m[4])
        out = try out + m[5].unsqueeze(1) * fc2(fc1(g).gelu(approximateTanh: true))
        return out
    }

    /// Multi-head self-attention with biased projections, (B, T, D) -> (B, T, D). The attention itself runs in
    /// float32 (with bfloat16 autocast suspended on the CPU, as in the DiMR blocks).
    private func attention(_ x: Tensor) throws -> Tensor {
        let (b, t, d) = (x.size(0), x.size(1), x.size(2))
        let parts = try qkv(x).reshape([b, t, 3 * heads, d / heads]).permute([0, 2, 1, 3])  // (B, 3H, T, hd)
            .to(.float32).chunk(3, dim: 1)                                                  // 3 x (B, H, T, hd)
        let attended = try Autocast.suspendedOnCPU(for: x) {                                 // (B, H, T, hd)
            try Tensor.scaledDotProductAttention(query: parts[0], key: parts[1], value: parts[2])
        }
        return try proj(attended.permute([0, 2, 1, 3]).reshape([b, t, d]))                  // (B, T, D)
    }
}
