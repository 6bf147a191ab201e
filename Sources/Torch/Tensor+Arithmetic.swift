import CTorch

infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence

// Broadcasting arithmetic. Every operator throws libtorch's message on a shape or dtype clash.
extension Tensor {
    @inline(__always)
    func binary(_ op: Int, _ other: Tensor) throws -> Tensor {
        try withExtendedLifetime(other) { try wrap(ct_binary(Int32(op), handle, other.handle)) }
    }

    @inline(__always)
    func binary(_ op: Int, _ scalar: Double) throws -> Tensor {
        try wrap(ct_binary_scalar(Int32(op), handle, scalar))
    }

    @inline(__always)
    func unary(_ op: Int) throws -> Tensor { try wrap(ct_unary(Int32(op), handle)) }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(CT_ADD, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(CT_SUB, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(CT_MUL, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(CT_DIV, b) }
    public static func + (a: Tensor, s: Double) throws -> Tensor { try a.binary(CT_ADD, s) }
    public static func - (a: Tensor, s: Double) throws -> Tensor { try a.binary(CT_SUB, s) }
    public static func * (a: Tensor, s: Double) throws -> Tensor { try a.binary(CT_MUL, s) }
    public static func / (a: Tensor, s: Double) throws -> Tensor { try a.binary(CT_DIV, s) }
    public static func + (s: Double, a: Tensor) throws -> Tensor { try a.binary(CT_ADD, s) }
    public static func - (s: Double, a: Tensor) throws -> Tensor { try a.binary(CT_RSUB, s) }
    public static func * (s: Double, a: Tensor) throws -> Tensor { try a.binary(CT_MUL, s) }
    public static func / (s: Double, a: Tensor) throws -> Tensor { try a.binary(CT_RDIV, s) }
    public static prefix func - (a: Tensor) throws -> Tensor { try a.unary(CT_NEG) }

    public static func .== (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(CT_EQ, b) }
    public static func .!= (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(CT_NE, b) }
    public static func .< (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(CT_LT, b) }
    public static func .<= (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(CT_LE, b) }
    public static func .> (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(CT_GT, b) }
    public static func .>= (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(CT_GE, b) }
    public static func .== (a: Tensor, s: Double) throws -> Tensor { try a.binary(CT_EQ, s) }
    public static func .!= (a: Tensor, s: Double) throws -> Tensor { try a.binary(CT_NE, s) }
    public static func .< (a: Tensor, s: Double) throws -> Tensor { try a.binary(CT_LT, s) }
    public static func .<= (a: Tensor, s: Double) throws -> Tensor { try a.binary(CT_LE, s) }
    public static func .> (a: Tensor, s: Double) throws -> Tensor { try a.binary(CT_GT, s) }
    public static func .>= (a: Tensor, s: Double) throws -> Tensor { try a.binary(CT_GE, s) }

    /// Elementwise power.
    public func pow(_ exponent: Tensor) throws -> Tensor { try binary(CT_POW, exponent) }
    /// Elementwise power with a scalar exponent.
    public func pow(_ exponent: Double) throws -> Tensor { try binary(CT_POW, exponent) }
    /// Elementwise maximum.
    public func maximum(_ other: Tensor) throws -> Tensor { try binary(CT_MAXIMUM, other) }
    /// Elementwise minimum.
    public func minimum(_ other: Tensor) throws -> Tensor { try binary(CT_MINIMUM, other) }
    /// Elementwise logical and.
    public func logicalAnd(_ other: Tensor) throws -> Tensor { try binary(CT_AND, other) }
    /// Elementwise logical or.
    public func logicalOr(_ other: Tensor) throws -> Tensor { try binary(CT_OR, other) }
    /// Elementwise logical not.
    public func logicalNot() throws -> Tensor { try unary(CT_NOT) }

    /// e^x.
    public func exp() throws -> Tensor { try unary(CT_EXP) }
    /// Natural logarithm.
    public func log() throws -> Tensor { try unary(CT_LOG) }
    /// Base-2 logarithm.
    public func log2() throws -> Tensor { try unary(CT_LOG2) }
    /// log(1 + x).
    public func log1p() throws -> Tensor { try unary(CT_LOG1P) }
    /// e^x - 1.
    public func expm1() throws -> Tensor { try unary(CT_EXPM1) }
    /// Square root.
    public func sqrt() throws -> Tensor { try unary(CT_SQRT) }
    /// 1 / sqrt(x).
    public func rsqrt() throws -> Tensor { try unary(CT_RSQRT) }
    /// 1 / x.
    public func reciprocal() throws -> Tensor { try unary(CT_RECIPROCAL) }
    /// Sine.
    public func sin() throws -> Tensor { try unary(CT_SIN) }
    /// Cosine.
    public func cos() throws -> Tensor { try unary(CT_COS) }
    /// Hyperbolic tangent.
    public func tanh() throws -> Tensor { try unary(CT_TANH) }
    /// The error function.
    public func erf() throws -> Tensor { try unary(CT_ERF) }
    /// Logistic sigmoid.
    public func sigmoid() throws -> Tensor { try unary(CT_SIGMOID) }
    /// x * sigmoid(x).
    public func silu() throws -> Tensor { try unary(CT_SILU) }
    /// GELU; the exact erf form by default, the tanh approximation on request.
    public func gelu(approximateTanh: Bool = false) throws -> Tensor { try unary(approximateTanh ? CT_GELU_TANH : CT_GELU) }
    /// max(x, 0).
    public func relu() throws -> Tensor { try unary(CT_RELU) }
    /// |x|.
    public func abs() throws -> Tensor { try unary(CT_ABS) }
    /// x^2.
    public func square() throws -> Tensor { try unary(CT_SQUARE) }
    /// Rounds down.
    public func floor() throws -> Tensor { try unary(CT_FLOOR) }
    /// Rounds up.
    public func ceil() throws -> Tensor { try unary(CT_CEIL) }
    /// Rounds half to even.
    public func round() throws -> Tensor { try unary(CT_ROUND) }
    /// -1, 0 or 1.
    public func sign() throws -> Tensor { try unary(CT_SIGN) }
    /// Whether each element is NaN.
    public func isNaN() throws -> Tensor { try unary(CT_ISNAN) }
    /// Whether each element is finite.
    public func isFinite() throws -> Tensor { try unary(CT_ISFINITE) }

    /// Clamps into [min, max]; either bound may be omitted.
    public func clamp(min: Double? = nil, max: Double? = nil) throws -> Tensor {
        try wrap(ct_clamp(handle, min == nil ? 0 : 1, min ?? 0, max == nil ? 0 : 1, max ?? 0))
    }

    /// `input + value * t1 * t2`, as `torch.addcmul`.
    public static func addcmul(_ input: Tensor, _ t1: Tensor, _ t2: Tensor, value: Double = 1) throws -> Tensor {
        try withExtendedLifetime((input, t1, t2)) { try wrap(ct_addcmul(input.handle, t1.handle, t2.handle, value)) }
    }

    /// `self + weight * (end - self)`.
    public func lerp(_ end: Tensor, weight: Double) throws -> Tensor {
        try withExtendedLifetime(end) { try wrap(ct_lerp(handle, end.handle, weight)) }
    }

    /// Softmax along `dim`.
    public func softmax(dim: Int) throws -> Tensor { try wrap(ct_softmax(handle, Int64(dim))) }
    /// Log-softmax along `dim`.
    public func logSoftmax(dim: Int) throws -> Tensor { try wrap(ct_log_softmax(handle, Int64(dim))) }
}

/// Elements of `a` where `condition` holds, else of `b`.
public func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    try withExtendedLifetime((condition, a, b)) { try wrap(ct_where(condition.handle, a.handle, b.handle)) }
}
