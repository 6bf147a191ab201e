import NN
import Torch

/// Single-head linear attention over the H x W positions of a feature map (the reference's `LinAttnBlock`,
/// heads 1 and head width C): the keys are normalised by a softmax over positions, the context k v^T (C x C)
/// is applied to the queries, and a 1 x 1 convolution maps back. No norm and no residual, as in the reference.
///
/// State-dict names: `to_qkv.weight` (bias-free), `to_out.*`.
public final class LinearAttention: AttentionLayer, @unchecked Sendable {
    let toQKV: Conv2d
    let toOut: Conv2d

    init(channels: Int, layers: LayerBuilder) throws {
        toQKV = try layers.conv(channels, 3 * channels, kernel: 1, bias: false)
        toOut = try layers.conv(channels, channels, kernel: 1)
        super.init(channels: channels)
        register("to_qkv", toQKV)
        register("to_out", toOut)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let (b, c, h, w) = (x.size(0), x.size(1), x.size(2), x.size(3))
        let parts = try toQKV(x).reshape([b, 3, c, h * w]).chunk(3, dim: 1)  // 3 x (B, 1, C, HW): q, k, v
        let q = try parts[0].squeeze(1), k = try parts[1].squeeze(1).softmax(dim: -1), v = try parts[2].squeeze(1)
        let context = try k.bmm(v.transpose(1, 2))  // (B, C, C): context[d, e] = sum_n k[d, n] v[e, n]
        let out = try context.transpose(1, 2).bmm(q)  // (B, C, HW): out[e, n] = sum_d context[d, e] q[d, n]
        return try toOut(out.reshape([b, c, h, w]))
    }
}
