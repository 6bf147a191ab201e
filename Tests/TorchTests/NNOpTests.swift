import Testing
import Torch

@Suite("Neural-network functions match torch.nn.functional")
struct NNOpTests {
    @Test func conv2d() throws {
        let img = try Refs.input("img")  // (2, 4, 8, 8)
        let y = try img.conv2d(weight: Refs.input("cw"), bias: Refs.input("cb"), stride: [2, 2], padding: [1, 1])
        try expectMatches(y, "conv_s2p1")  // (2, 6, 4, 4)
        try expectMatches(try img.conv2d(weight: Refs.input("cwg"), padding: [1, 1], groups: 2), "conv_g2")
    }

    @Test func convTranspose2d() throws {
        let small = try Refs.input("small")  // (2, 4, 5, 5)
        let y = try small.convTranspose2d(weight: Refs.input("tw"), bias: Refs.input("tb"), stride: [2, 2], padding: [1, 1])
        try expectMatches(y, "convt_s2p1")  // (2, 3, 10, 10)
        try expectMatches(try small.convTranspose2d(weight: Refs.input("twg"), groups: 2), "convt_g2")
    }

    @Test func averagePooling() throws {
        let img = try Refs.input("img")
        try expectMatches(try img.avgPool2d(kernel: [2, 2]), "avgpool_k2")
        try expectMatches(try img.avgPool2d(kernel: [3, 3], stride: [2, 2], padding: [1, 1]), "avgpool_k3s2p1")
    }

    @Test func interpolate() throws {
        let img = try Refs.input("img")
        try expectMatches(try img.interpolate(size: (4, 4), mode: .area), "interp_area_4")
        try expectMatches(try img.interpolate(size: (3, 3), mode: .area), "interp_area_3")
        try expectMatches(try img.interpolate(size: (12, 12), mode: .nearest), "interp_nearest_up")
        try expectMatches(try img.interpolate(size: (5, 5), mode: .nearest), "interp_nearest_down")
        try expectMatches(try img.interpolate(size: (11, 13), mode: .bilinear(alignCorners: false)), "interp_bilinear")
        try expectMatches(try img.interpolate(size: (5, 6), mode: .bilinear(alignCorners: true)), "interp_bilinear_ac")
    }

    @Test func normalisation() throws {
        let a = try Refs.input("a"), img = try Refs.input("img")
        try expectMatches(try a.layerNorm([4], weight: Refs.input("lw"), bias: Refs.input("lb")), "layer_norm_affine")
        try expectMatches(try a.layerNorm([3, 4], eps: 1e-6), "layer_norm_2d")
        try expectMatches(try img.groupNorm(groups: 2, weight: Refs.input("gw"), bias: Refs.input("gb")), "group_norm")
        try expectMatches(try img.groupNorm(groups: 4, eps: 1e-6), "group_norm_plain")
    }

    @Test func embedding() throws {
        try expectMatches(try Tensor.embedding(Refs.input("table"), indices: Refs.input("idx")), "embedding")
        let outOfRange = try Tensor([Int64(10)])
        #expect(throws: TorchError.self) { try Tensor.embedding(Refs.input("table"), indices: outOfRange) }
    }

    @Test func scaledDotProductAttention() throws {
        let q = try Refs.input("q"), k = try Refs.input("k"), v = try Refs.input("v")  // (2, 2, L, 8)
        try expectMatches(try Tensor.scaledDotProductAttention(query: q, key: k, value: v), "sdpa")
        try expectMatches(try Tensor.scaledDotProductAttention(query: q, key: k, value: v, mask: Refs.input("mask")), "sdpa_mask")
        let k5 = try k.narrow(dim: 2, start: 0, length: 5), v5 = try v.narrow(dim: 2, start: 0, length: 5)
        try expectMatches(try Tensor.scaledDotProductAttention(query: q, key: k5, value: v5, causal: true, scale: 0.2),
                          "sdpa_causal_scale")
    }

    @Test func crossEntropy() throws {
        let logits = try Refs.input("logits"), target = try Refs.input("target")
        try expectMatches(try logits.crossEntropy(target: target), "cross_entropy")
        try expectMatches(try logits.crossEntropy(target: target, labelSmoothing: 0.1), "cross_entropy_ls")
        try expectMatches(try logits.crossEntropy(target: target, reduction: .none), "cross_entropy_none")
    }
}
