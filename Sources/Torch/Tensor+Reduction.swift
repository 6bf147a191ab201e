import CTorch

extension Tensor {
    @inline(__always)
    func reduce(_ op: Int, _ dims: [Int], _ keepDim: Bool) throws -> Tensor {
        try withInt64s(dims) { try wrap(ct_reduce(Int32(op), handle, $0, $1, keepDim ? 1 : 0)) }
    }

    /// Sum over `dims` (all elements when empty).
    public func sum(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_SUM, dims, keepDim) }
    /// Mean over `dims` (all elements when empty).
    public func mean(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_MEAN, dims, keepDim) }
    /// Maximum over `dims` (all elements when empty).
    public func max(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_AMAX, dims, keepDim) }
    /// Minimum over `dims` (all elements when empty).
    public func min(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_AMIN, dims, keepDim) }
    /// Whether all elements (over `dims`) are true.
    public func all(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_ALL, dims, keepDim) }
    /// Whether any element (over `dims`) is true.
    public func any(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_ANY, dims, keepDim) }
    /// log(sum(exp(x))) over `dims`.
    public func logSumExp(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(CT_LOGSUMEXP, dims, keepDim) }

    /// Variance over `dims` with Bessel's `correction` (1 = unbiased, PyTorch's default).
    public func variance(dims: [Int] = [], correction: Double = 1, keepDim: Bool = false) throws -> Tensor {
        try withInt64s(dims) { try wrap(ct_var(handle, $0, $1, correction, keepDim ? 1 : 0)) }
    }

    /// The p-norm over `dims` (all elements when empty).
    public func norm(_ p: Double = 2, dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
        try withInt64s(dims) { try wrap(ct_norm(handle, p, $0, $1, keepDim ? 1 : 0)) }
    }

    /// Index of the maximum along `dim`.
    public func argmax(dim: Int, keepDim: Bool = false) throws -> Tensor {
        try wrap(ct_argmax(handle, Int64(dim), keepDim ? 1 : 0))
    }

    /// Index of the minimum along `dim`.
    public func argmin(dim: Int, keepDim: Bool = false) throws -> Tensor {
        try wrap(ct_argmin(handle, Int64(dim), keepDim ? 1 : 0))
    }

    /// Cumulative sum along `dim`.
    public func cumsum(dim: Int) throws -> Tensor { try wrap(ct_cumsum(handle, Int64(dim))) }
    /// Cumulative product along `dim`.
    public func cumprod(dim: Int) throws -> Tensor { try wrap(ct_cumprod(handle, Int64(dim))) }

    /// Whether |self - other| <= atol + rtol * |other| everywhere.
    public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) throws -> Bool {
        let r = withExtendedLifetime(other) { ct_allclose(handle, other.handle, rtol, atol) }
        try check(r)
        return r == 1
    }

    /// max |self - other| / max |other|: the relative error used by the parity checks.
    public func relativeError(to reference: Tensor) throws -> Double {
        let a = try to(.float64), b = try reference.to(.float64)
        let diff = try (a - b).abs().max().item()
        let scale = try b.abs().max().item()
        return scale == 0 ? diff : diff / scale
    }
}
