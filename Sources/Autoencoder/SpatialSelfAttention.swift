import NN
import Torch

/// Single-head softmax self-attention over the H x W positions of a feature map, with a GroupNorm before it and
/// a residual around it (the reference's `AttnBlock`): x + proj_out(softmax(q^T k / sqrt(C)) v), the queries, keys
/// and values 1 x 1 convolutions of norm(x).
///
/// State-dict names: `norm.*`, `q.*`, `k.*`, `v.*`, `proj_out.*`.
public final class SpatialSelfAttention: AttentionLayer, @unchecked Sendable {
    let norm: GroupNorm
    let q: Conv2d
    let k: Conv2d
    let v: Conv2d
    let projOut: Conv2d

    init(channels: Int, layers: LayerBuilder) throws {
        norm = try layers.norm(channels)
        q = try layers.conv(channels, channels, kernel: 1)
        k = try layers.conv(channels, channels, kernel: 1)
        v = try layers.conv(channels, channels, kernel: 1)
        projOut = try layers.conv(channels, channels, kernel: 1)
        super.init(channels: channels)
        register("norm", norm)
        register("q", q)
        register("k", k)
        register("v", v)
        register("proj_out", projOut)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let (b, c, h, w) = (x.size(0), x.size(1), x.size(2), x.size(3))
        let normed = try norm(x)
        func tokens(_ conv: Conv2d) throws -> Tensor {
            try conv(normed).reshape([b, 1, c, h * w]).transpose(2, 3)  // (B, 1, HW, C)
        }
        // softmax over key positions of q k^T scaled by 1/sqrt(C), then the values: one head of width C.
        let attended = try Tensor.scaledDotProductAttention(query: tokens(q), key: tokens(k), value: tokens(v))  // (B, 1, HW, C)
        let map = try attended.transpose(2, 3).reshape([b, c, h, w])  // (B, C, H, W)
        return try x + projOut(map)
    }
}
