import Testing
import TestSupport
import Torch

@Suite("Elementwise operations match PyTorch")
struct ElementwiseTests {
    let a: Tensor, b: Tensor, pos: Tensor

    init() throws {
        a = try Refs.input("a")  // (2, 3, 4)
        b = try Refs.input("b")  // (3, 1)
        pos = try Refs.input("pos")  // (2, 3, 4) in [0.5, 1.5)
    }

    /// One correctly rounded operation: the same on every CPU, but allowed one rounding for a fused
    /// multiply-add or a reordered scalar operation on either side.
    let oneOp = Float32Tolerance.depth(1)
    /// A scalar on the left (`2.5 - a` as `-a + 2.5` or `a * -1 + 2.5`): two roundings.
    let scalarOp = Float32Tolerance.depth(2)
    /// A library function (exp, log, erf, sin, pow ...).
    let function = Float32Tolerance.depth(Float32Tolerance.libraryFunctionDepth)
    /// The deepest activation here, log-softmax over 3 values: exp (4), a sum of 3 (2), log (4) and two
    /// subtractions (2), 12 roundings; sigmoid, SiLU, both GELUs and the 4-wide softmax take fewer.
    let activation = Float32Tolerance.depth(2 * Float32Tolerance.libraryFunctionDepth + 4)

    @Test func broadcastingArithmetic() throws {
        try expectMatches(try a + b, "add", tolerance: oneOp)
        try expectMatches(try a - b, "sub", tolerance: oneOp)
        try expectMatches(try a * b, "mul", tolerance: oneOp)
        try expectMatches(try a / pos, "div", tolerance: oneOp)
        try expectMatches(try -a, "neg", tolerance: oneOp)
        #expect((try a + b).shape == [2, 3, 4])
    }

    @Test func scalarOnEitherSide() throws {
        try expectMatches(try a + 2.5, "add_scalar", tolerance: scalarOp)
        try expectMatches(try 2.5 + a, "add_scalar", tolerance: scalarOp)
        try expectMatches(try 2.5 - a, "rsub_scalar", tolerance: scalarOp)
        try expectMatches(try 3.0 * a, "mul_scalar", tolerance: scalarOp)
        try expectMatches(try a * 3.0, "mul_scalar", tolerance: scalarOp)
        try expectMatches(try 1.5 / pos, "rdiv_scalar", tolerance: scalarOp)
        try expectMatches(try a - 0.75, "sub_scalar", tolerance: scalarOp)
        try expectMatches(try a / 4.0, "div_scalar", tolerance: scalarOp)
    }

    @Test func comparisonsAndWhere() throws {
        try expectMatches(try a .> b, "gt", tolerance: 0)
        try expectMatches(try a .<= 0.3, "le_scalar", tolerance: 0)
        try expectMatches(try a.round() .== b.round(), "eq", tolerance: 0)
        try expectMatches(try `where`(a .> 0.0, a, b), "where", tolerance: 0)
        let lt = try a .< b, ge = try a .>= b
        #expect(try lt.logicalOr(ge).all().item() == 1)
        #expect(try lt.logicalAnd(ge).any().item() == 0)
        #expect(try (a .!= a).any().item() == 0)
    }

    @Test func clamp() throws {
        try expectMatches(try a.clamp(min: -0.5, max: 0.5), "clamp", tolerance: 0)
        try expectMatches(try a.clamp(min: 0.1), "clamp_min", tolerance: 0)
    }

    @Test func mathFunctions() throws {
        try expectMatches(try a.exp(), "exp", tolerance: function)
        try expectMatches(try pos.log(), "log", tolerance: function)
        try expectMatches(try pos.sqrt(), "sqrt", tolerance: function)
        try expectMatches(try pos.rsqrt(), "rsqrt", tolerance: function)
        try expectMatches(try pos.pow(2.5), "pow_scalar", tolerance: function)
        try expectMatches(try pos.pow(b), "pow_tensor", tolerance: function)
        try expectMatches(try a.sin(), "sin", tolerance: function)
        try expectMatches(try a.cos(), "cos", tolerance: function)
        try expectMatches(try a.erf(), "erf", tolerance: function)
    }

    @Test func activations() throws {
        try expectMatches(try a.sigmoid(), "sigmoid", tolerance: activation)
        try expectMatches(try a.silu(), "silu", tolerance: activation)
        try expectMatches(try a.gelu(), "gelu", tolerance: activation)
        try expectMatches(try a.gelu(approximateTanh: true), "gelu_tanh", tolerance: activation)
        try expectMatches(try a.softmax(dim: -1), "softmax", tolerance: activation)
        try expectMatches(try a.logSoftmax(dim: 1), "log_softmax", tolerance: activation)
    }

    @Test func addcmul() throws {
        try expectMatches(try Tensor.addcmul(a, pos, b, value: 0.3), "addcmul", tolerance: Float32Tolerance.depth(3))  // a + v * p * b: 3 roundings
    }
}
