import Testing
import TestSupport
import Torch

@Suite("Neural-network functions match torch.nn.functional")
struct NNOpTests {
    @Test func conv2d() throws {
        let img = try Refs.input("img")  // (2, 4, 8, 8)
        let y = try img.conv2d(weight: Refs.input("cw"), bias: Refs.input("cb"), stride: [2, 2], padding: [1, 1])
        // Each output sums 4 * 3 * 3 = 36 products and a bias: 37 roundings relative to the same
        // convolution of the magnitudes, computed from the inputs.
        let magnitudes = try img.abs().conv2d(weight: Refs.input("cw").abs(), bias: Refs.input("cb").abs(),
                                              stride: [2, 2], padding: [1, 1])
        try expectMatches(y, "conv_s2p1",  // (2, 6, 4, 4)
                          tolerance: Float32Tolerance.depth(37, condition: condition(magnitudes: magnitudes, "conv_s2p1")))
        let grouped = try img.abs().conv2d(weight: Refs.input("cwg").abs(), padding: [1, 1], groups: 2)
        try expectMatches(try img.conv2d(weight: Refs.input("cwg"), padding: [1, 1], groups: 2), "conv_g2",  // 18 products
                          tolerance: Float32Tolerance.depth(18, condition: condition(magnitudes: grouped, "conv_g2")))
    }

    @Test func convTranspose2d() throws {
        let small = try Refs.input("small")  // (2, 4, 5, 5)
        let y = try small.convTranspose2d(weight: Refs.input("tw"), bias: Refs.input("tb"), stride: [2, 2], padding: [1, 1])
        // A transposed convolution sums at most in_channels * kernel area products (4 * 16, and 2 * 9
        // per group) and a bias, relative to the same sums of magnitudes.
        let magnitudes = try small.abs().convTranspose2d(weight: Refs.input("tw").abs(), bias: Refs.input("tb").abs(),
                                                         stride: [2, 2], padding: [1, 1])
        try expectMatches(y, "convt_s2p1",  // (2, 3, 10, 10)
                          tolerance: Float32Tolerance.depth(65, condition: condition(magnitudes: magnitudes, "convt_s2p1")))
        let grouped = try small.abs().convTranspose2d(weight: Refs.input("twg").abs(), groups: 2)
        try expectMatches(try small.convTranspose2d(weight: Refs.input("twg"), groups: 2), "convt_g2",
                          tolerance: Float32Tolerance.depth(18, condition: condition(magnitudes: grouped, "convt_g2")))
    }

    @Test func averagePooling() throws {
        let img = try Refs.input("img")
        // A mean of 4 or 9 values: 3 or 8 additions and a division, relative to the mean of magnitudes.
        let k2 = try img.abs().avgPool2d(kernel: [2, 2])
        try expectMatches(try img.avgPool2d(kernel: [2, 2]), "avgpool_k2",
                          tolerance: Float32Tolerance.depth(4, condition: condition(magnitudes: k2, "avgpool_k2")))
        let k3 = try img.abs().avgPool2d(kernel: [3, 3], stride: [2, 2], padding: [1, 1])
        try expectMatches(try img.avgPool2d(kernel: [3, 3], stride: [2, 2], padding: [1, 1]), "avgpool_k3s2p1",
                          tolerance: Float32Tolerance.depth(9, condition: condition(magnitudes: k3, "avgpool_k3s2p1")))
    }

    @Test func interpolate() throws {
        let img = try Refs.input("img")
        // Area: a mean of at most 3 x 3 = 9 values (8 additions, a division, and the weights'
        // own rounding), relative to the same mean of magnitudes. Bilinear: 4 weighted values (weights
        // computed in 3 roundings, 4 products, 3 additions), with weights in [0, 1] summing to 1,
        // relative to max |img|. Nearest: a selection, exact.
        let area4 = try img.abs().interpolate(size: (4, 4), mode: .area)
        try expectMatches(try img.interpolate(size: (4, 4), mode: .area), "interp_area_4",
                          tolerance: Float32Tolerance.depth(10, condition: condition(magnitudes: area4, "interp_area_4")))
        let area3 = try img.abs().interpolate(size: (3, 3), mode: .area)
        try expectMatches(try img.interpolate(size: (3, 3), mode: .area), "interp_area_3",
                          tolerance: Float32Tolerance.depth(10, condition: condition(magnitudes: area3, "interp_area_3")))
        try expectMatches(try img.interpolate(size: (12, 12), mode: .nearest), "interp_nearest_up", tolerance: 0)
        try expectMatches(try img.interpolate(size: (5, 5), mode: .nearest), "interp_nearest_down", tolerance: 0)
        let bilinear = Float32Tolerance.depth(10, condition: try condition(magnitudes: img.abs().max(), "interp_bilinear"))
        try expectMatches(try img.interpolate(size: (11, 13), mode: .bilinear(alignCorners: false)), "interp_bilinear",
                          tolerance: bilinear)
        let bilinearAC = Float32Tolerance.depth(10, condition: try condition(magnitudes: img.abs().max(), "interp_bilinear_ac"))
        try expectMatches(try img.interpolate(size: (5, 6), mode: .bilinear(alignCorners: true)), "interp_bilinear_ac",
                          tolerance: bilinearAC)
    }

    @Test func normalisation() throws {
        let a = try Refs.input("a"), img = try Refs.input("img")
        // Normalising n values: the mean (n), the variance (n + 2), the reciprocal square root (2), the
        // scaling (2) and the affine map (2): 2 n + 8 roundings, relative to outputs of order 1
        // (normalised values times the affine weights). n = 4, 12, 2 * 64 and 64.
        func norm(_ n: Int) -> Double { Float32Tolerance.depth(2 * n + 8) }
        try expectMatches(try a.layerNorm([4], weight: Refs.input("lw"), bias: Refs.input("lb")), "layer_norm_affine",
                          tolerance: norm(4))
        try expectMatches(try a.layerNorm([3, 4], eps: 1e-6), "layer_norm_2d", tolerance: norm(12))
        try expectMatches(try img.groupNorm(groups: 2, weight: Refs.input("gw"), bias: Refs.input("gb")), "group_norm",
                          tolerance: norm(128))
        try expectMatches(try img.groupNorm(groups: 4, eps: 1e-6), "group_norm_plain", tolerance: norm(64))
    }

    @Test func embedding() throws {
        try expectMatches(try Tensor.embedding(Refs.input("table"), indices: Refs.input("idx")), "embedding", tolerance: 0)  // a lookup: exact
        let outOfRange = try Tensor([Int64(10)])
        #expect(throws: TorchError.self) { try Tensor.embedding(Refs.input("table"), indices: outOfRange) }
    }

    @Test func scaledDotProductAttention() throws {
        let q = try Refs.input("q"), k = try Refs.input("k"), v = try Refs.input("v")  // (2, 2, L, 8)
        // The logits q.k * scale (8 products, a scaling: 9 roundings) carry an absolute error of
        // gamma_9 * L, L = max sum |q_i k_i| * scale, which exp turns into a relative error of the
        // weights; the softmax adds exp (4), a sum of 6 (5) and a division (1), the weighted sum of 6
        // rows 6 more. The weights are positive and sum to 1: errors are relative to max |v|.
        func tolerance(_ key: Tensor, scale: Double, _ name: String) throws -> Double {
            let logitMagnitude = try (q.abs().matmul(key.abs().transpose(-2, -1)) * scale).max().item()
            let bound = Float32Tolerance.gamma(9) * logitMagnitude + Float32Tolerance.gamma(16)
            return 2 * bound * (try condition(magnitudes: v.abs().max(), name))
        }
        let scale = 1 / Double(8).squareRoot()
        try expectMatches(try Tensor.scaledDotProductAttention(query: q, key: k, value: v), "sdpa",
                          tolerance: tolerance(k, scale: scale, "sdpa"))
        try expectMatches(try Tensor.scaledDotProductAttention(query: q, key: k, value: v, mask: Refs.input("mask")), "sdpa_mask",
                          tolerance: tolerance(k, scale: scale, "sdpa_mask"))
        let k5 = try k.narrow(dim: 2, start: 0, length: 5), v5 = try v.narrow(dim: 2, start: 0, length: 5)
        try expectMatches(try Tensor.scaledDotProductAttention(query: q, key: k5, value: v5, causal: true, scale: 0.2),
                          "sdpa_causal_scale", tolerance: tolerance(k5, scale: 0.2, "sdpa_causal_scale"))
    }

    @Test func crossEntropy() throws {
        let logits = try Refs.input("logits"), target = try Refs.input("target")
        // log-sum-exp over 7 classes: the maximum, exp (4), a sum of 7 (6), log (4), two subtractions
        // (2); the mean over 5 samples (5) and label smoothing's sum over 7 classes (7): 28 roundings,
        // relative to the logits' magnitude.
        let logitMagnitude = try logits.abs().max()
        for (loss, name) in [(try logits.crossEntropy(target: target), "cross_entropy"),
                             (try logits.crossEntropy(target: target, labelSmoothing: 0.1), "cross_entropy_ls"),
                             (try logits.crossEntropy(target: target, reduction: .none), "cross_entropy_none")] {
            try expectMatches(loss, name, tolerance: Float32Tolerance.depth(28, condition: condition(magnitudes: logitMagnitude, name)))
        }
    }
}
