import Testing
import Torch

@Suite("Elementwise operations match PyTorch")
struct ElementwiseTests {
    let a: Tensor, b: Tensor, pos: Tensor

    init() throws {
        a = try Refs.input("a")  // (2, 3, 4)
        b = try Refs.input("b")  // (3, 1)
        pos = try Refs.input("pos")  // (2, 3, 4) in [0.5, 1.5)
    }

    @Test func broadcastingArithmetic() throws {
        try expectMatches(try a + b, "add")
        try expectMatches(try a - b, "sub")
        try expectMatches(try a * b, "mul")
        try expectMatches(try a / pos, "div")
        try expectMatches(try -a, "neg")
        #expect((try a + b).shape == [2, 3, 4])
    }

    @Test func scalarOnEitherSide() throws {
        try expectMatches(try a + 2.5, "add_scalar")
        try expectMatches(try 2.5 + a, "add_scalar")
        try expectMatches(try 2.5 - a, "rsub_scalar")
        try expectMatches(try 3.0 * a, "mul_scalar")
        try expectMatches(try a * 3.0, "mul_scalar")
        try expectMatches(try 1.5 / pos, "rdiv_scalar")
        try expectMatches(try a - 0.75, "sub_scalar")
        try expectMatches(try a / 4.0, "div_scalar")
    }

    @Test func comparisonsAndWhere() throws {
        try expectMatches(try a .> b, "gt")
        try expectMatches(try a .<= 0.3, "le_scalar")
        try expectMatches(try a.round() .== b.round(), "eq")
        try expectMatches(try `where`(a .> 0.0, a, b), "where")
        let lt = try a .< b, ge = try a .>= b
        #expect(try lt.logicalOr(ge).all().item() == 1)
        #expect(try lt.logicalAnd(ge).any().item() == 0)
        #expect(try (a .!= a).any().item() == 0)
    }

    @Test func clamp() throws {
        try expectMatches(try a.clamp(min: -0.5, max: 0.5), "clamp")
        try expectMatches(try a.clamp(min: 0.1), "clamp_min")
    }

    @Test func mathFunctions() throws {
        try expectMatches(try a.exp(), "exp")
        try expectMatches(try pos.log(), "log")
        try expectMatches(try pos.sqrt(), "sqrt")
        try expectMatches(try pos.rsqrt(), "rsqrt")
        try expectMatches(try pos.pow(2.5), "pow_scalar")
        try expectMatches(try pos.pow(b), "pow_tensor")
        try expectMatches(try a.sin(), "sin")
        try expectMatches(try a.cos(), "cos")
        try expectMatches(try a.erf(), "erf")
    }

    @Test func activations() throws {
        try expectMatches(try a.sigmoid(), "sigmoid")
        try expectMatches(try a.silu(), "silu")
        try expectMatches(try a.gelu(), "gelu")
        try expectMatches(try a.gelu(approximateTanh: true), "gelu_tanh")
        try expectMatches(try a.softmax(dim: -1), "softmax")
        try expectMatches(try a.logSoftmax(dim: 1), "log_softmax")
    }

    @Test func addcmul() throws {
        try expectMatches(try Tensor.addcmul(a, pos, b, value: 0.3), "addcmul")
    }
}
