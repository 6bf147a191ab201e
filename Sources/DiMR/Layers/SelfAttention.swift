import NN
import Torch

/// Multi-head self-attention with a fused, bias-free query/key/value projection; q, k and v are
/// computed in float32.
///
/// Under bfloat16 mixed precision (`Autocast`) the projections run in bfloat16; the attention itself runs in
/// bfloat16 on CUDA (as the authors' code does under autocast) and stays float32 on the CPU, where libtorch
/// 2.13's bfloat16 attention kernel costs 10-20% more processor time than its float32 one, forward and backward
/// (measured on AVX512-BF16 at this model's shapes) and would round the softmax's probabilities.
///
/// State-dict names: `norm.*`, `query_key_value.weight`, `dense.weight`, `dense.bias`.
public final class SelfAttention: Module, @unchecked Sendable {
    /// Number of heads.
    public let heads: Int
    /// Width of one head.
    public let headDim: Int
    let norm: any BlockNorm
    /// Fused projection (dim -> 3 dim), split as (q, k, v) x heads x headDim.
    public let queryKeyValue: Linear
    /// Output projection.
    public let dense: Linear

    /// Attention over `dim` channels in `heads` heads.
    public init(dim: Int, heads: Int, normType: NormType, generator: Generator?) throws {
        precondition(heads > 0 && dim % heads == 0, "dim \(dim) is not divisible by \(heads) heads")
        self.heads = heads
        headDim = dim / heads
        norm = try makeBlockNorm(normType, dim: dim, generator: generator)
        queryKeyValue = try AuthorsInit.linear(dim, 3 * dim, bias: false, generator: generator)
        dense = try AuthorsInit.linear(dim, dim, generator: generator)
        super.init()
        register("norm", norm)
        register("query_key_value", queryKeyValue)
        register("dense", dense)
    }

    /// (B, N, C) -> (B, N, C).
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        let (b, n, c) = (x.size(0), x.size(1), x.size(2))
        let qkv = try queryKeyValue(norm(x, time: time))  // (B, N, 3C)
        let parts = try qkv.reshape([b, n, 3 * heads, headDim]).permute([0, 2, 1, 3])  // (B, 3H, N, hd)
            .to(.float32).chunk(3, dim: 1)  // 3 x (B, H, N, hd)
        let attended = try Autocast.suspendedOnCPU(for: x) {
            try Tensor.scaledDotProductAttention(query: parts[0], key: parts[1], value: parts[2])  // (B, H, N, hd)
        }
        return try dense(attended.permute([0, 2, 1, 3]).reshape([b, n, c]))  // (B, N, C)
    }
}
