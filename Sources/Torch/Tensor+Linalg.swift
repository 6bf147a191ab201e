import CTorch

/// Which triangle of a symmetric matrix a decomposition reads.
public enum Triangle: Sendable {
    /// The lower triangle (PyTorch's default, `UPLO="L"`).
    case lower
    /// The upper triangle (`UPLO="U"`).
    case upper
}

// Linear algebra, as `torch.linalg`.
extension Tensor {
    /// The eigendecomposition of a symmetric matrix (or batch), as `torch.linalg.eigh`.
    ///
    /// - Returns: eigenvalues (..., n) in ascending order and orthonormal eigenvectors (..., n, n), one per
    ///   column, so that `self = V diag(w) V^T`. Only `triangle` of `self` is read.
    /// - Throws: `TorchError` for a non-square input, a non-floating dtype or a failed convergence.
    public func symmetricEigen(triangle: Triangle = .lower) throws -> (eigenvalues: Tensor, eigenvectors: Tensor) {
        var values: OpaquePointer?
        var vectors: OpaquePointer?
        try check(ct_linalg_eigh(handle, triangle == .upper ? 1 : 0, &values, &vectors))
        return (try wrap(values), try wrap(vectors))
    }

    /// The eigenvalues of a symmetric matrix (or batch) in ascending order, as `torch.linalg.eigvalsh`.
    public func symmetricEigenvalues(triangle: Triangle = .lower) throws -> Tensor {
        try wrap(ct_linalg_eigvalsh(handle, triangle == .upper ? 1 : 0))
    }

    /// The `k`-th smallest value (k from 1) along `dim` and its index, as `torch.kthvalue`.
    public func kthValue(_ k: Int, dim: Int, keepDim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        var values: OpaquePointer?
        var indices: OpaquePointer?
        try check(ct_kthvalue(handle, Int64(k), Int64(dim), keepDim ? 1 : 0, &values, &indices))
        return (try wrap(values), try wrap(indices))
    }

    /// The diagonal of the matrices over `dim1` and `dim2` (a view), as `torch.diagonal`.
    public func diagonal(offset: Int = 0, dim1: Int = 0, dim2: Int = 1) throws -> Tensor {
        try wrap(ct_diagonal(handle, Int64(offset), Int64(dim1), Int64(dim2)))
    }

    /// The n x n identity matrix, as `torch.eye`.
    public static func eye(_ n: Int, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try device.validate()
        return try wrap(ct_eye(Int64(n), dtype.rawValue, device.typeCode, device.index))
    }
}
