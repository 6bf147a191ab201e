import Testing
import TestSupport
import Torch

@Suite("Reductions and matrix products match PyTorch")
struct ReductionTests {
    let a: Tensor

    init() throws { a = try Refs.input("a") }  // (2, 3, 4)

    @Test func sumMeanVar() throws {
        // A sum of n terms: n - 1 roundings (+ 1 for the division of a mean), magnified by the
        // cancellation in these random-sign inputs, measured as sum |a| / |sum a|.
        let magnitudes = try a.abs()
        try expectMatches(try a.sum(), "sum_all",
                          tolerance: Float32Tolerance.depth(23, condition: condition(magnitudes: magnitudes.sum(), "sum_all")))
        try expectMatches(try a.sum(dims: [1], keepDim: true), "sum_d1_keep",
                          tolerance: Float32Tolerance.depth(2, condition: condition(magnitudes: magnitudes.sum(dims: [1]), "sum_d1_keep")))
        try expectMatches(try a.mean(dims: [0, 2]), "mean_d02",
                          tolerance: Float32Tolerance.depth(8, condition: condition(magnitudes: magnitudes.mean(dims: [0, 2]), "mean_d02")))
        // Variance of n values (Welford or two passes): the mean (n), the deviations (1), their squares
        // summed (n) and the division (1); 2 * 4 + 2 for the longest row. The sum of squares has no
        // cancellation; the deviations' error is relative to the spread, which is that of the result.
        let variance = Float32Tolerance.depth(10)
        try expectMatches(try a.variance(dims: [1]), "var_d1", tolerance: variance)
        try expectMatches(try a.variance(dims: [2], correction: 0, keepDim: true), "var_d2_c0_keep", tolerance: variance)
    }

    @Test func maxArgmaxNorm() throws {
        try expectMatches(try a.max(dims: [2]), "max_d2", tolerance: 0)  // a selection: exact
        try expectMatches(try a.argmax(dim: 1), "argmax_d1", tolerance: 0)
        try expectMatches(try a.argmax(dim: 2, keepDim: true), "argmax_d2_keep", tolerance: 0)
        // 4 squares summed (4), the square root (1); no cancellation.
        try expectMatches(try a.norm(2, dims: [-1], keepDim: true), "norm_last_keep", tolerance: Float32Tolerance.depth(5))
        // 24 magnitudes summed: 23 roundings, no cancellation.
        try expectMatches(try a.norm(1), "norm1_all", tolerance: Float32Tolerance.depth(23))
    }

    @Test func matrixProducts() throws {
        let m = try Refs.input("m"), bm = try Refs.input("bm"), bi = try Refs.input("bi")
        // Dot products of 4 terms: 4 products and 3 additions, or 4 fused multiply-adds: 4 roundings
        // (+ 3 for beta * bi + alpha * ...), relative to the sums of |terms|, computed from the inputs.
        let (absA, absM, absBM) = (try a.abs(), try m.abs(), try bm.abs())
        try expectMatches(try a.matmul(m), "matmul",
                          tolerance: Float32Tolerance.depth(4, condition: condition(magnitudes: absA.matmul(absM), "matmul")))
        try expectMatches(try a.bmm(bm), "bmm",
                          tolerance: Float32Tolerance.depth(4, condition: condition(magnitudes: absA.bmm(absBM), "bmm")))
        let baddbmmMagnitudes = try bi.abs() * 0.5 + absA.bmm(absBM) * 2.0
        try expectMatches(try Tensor.baddbmm(bi, a, bm, beta: 0.5, alpha: 2), "baddbmm",
                          tolerance: Float32Tolerance.depth(7, condition: condition(magnitudes: baddbmmMagnitudes, "baddbmm")))
    }
}
