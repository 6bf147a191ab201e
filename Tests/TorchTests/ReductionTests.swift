import Testing
import Torch

@Suite("Reductions and matrix products match PyTorch")
struct ReductionTests {
    let a: Tensor

    init() throws { a = try Refs.input("a") }  // (2, 3, 4)

    @Test func sumMeanVar() throws {
        try expectMatches(try a.sum(), "sum_all")
        try expectMatches(try a.sum(dims: [1], keepDim: true), "sum_d1_keep")
        try expectMatches(try a.mean(dims: [0, 2]), "mean_d02")
        try expectMatches(try a.variance(dims: [1]), "var_d1")
        try expectMatches(try a.variance(dims: [2], correction: 0, keepDim: true), "var_d2_c0_keep")
    }

    @Test func maxArgmaxNorm() throws {
        try expectMatches(try a.max(dims: [2]), "max_d2")
        try expectMatches(try a.argmax(dim: 1), "argmax_d1")
        try expectMatches(try a.argmax(dim: 2, keepDim: true), "argmax_d2_keep")
        try expectMatches(try a.norm(2, dims: [-1], keepDim: true), "norm_last_keep")
        try expectMatches(try a.norm(1), "norm1_all")
    }

    @Test func matrixProducts() throws {
        let m = try Refs.input("m"), bm = try Refs.input("bm"), bi = try Refs.input("bi")
        try expectMatches(try a.matmul(m), "matmul")
        try expectMatches(try a.bmm(bm), "bmm")
        try expectMatches(try Tensor.baddbmm(bi, a, bm, beta: 0.5, alpha: 2), "baddbmm")
    }
}
