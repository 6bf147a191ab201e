import Torch

/// The Fréchet distance between two Gaussians, d² = |μ₁ - μ₂|² + tr(Σ₁ + Σ₂ - 2 (Σ₁Σ₂)^½): the FID on
/// Inception pool3 statistics, the sFID on spatial ones, and the classifier FID on classifier features.
///
/// Computed in float64 with a true matrix square root: tr (Σ₁Σ₂)^½ is the sum of the square roots of the
/// eigenvalues of the symmetric positive semi-definite Σ₁^½ Σ₂ Σ₁^½ (the same eigenvalues as Σ₁Σ₂), from two
/// symmetric eigendecompositions (`torch.linalg.eigh`). This is exact for covariances of any rank, where
/// SciPy's `sqrtm` of the non-symmetric product can lose accuracy or turn complex.
///
/// Near-singular products, as the ADM evaluator handles them: its `sqrtm` giving non-finite values is
/// answered by adding 1e-6 to both diagonals and trying again; here a decomposition that fails or gives
/// non-finite values is retried the same way (`FrechetDistanceResult.diagonalOffset` says so). Eigenvalues
/// that rounding makes slightly negative count as zero, as the ADM evaluator drops an imaginary part below
/// 1e-3; a larger imaginary part of the trace (covariances that are not positive semi-definite) is an error.
public enum FrechetDistance {
    /// What the ADM evaluator adds to both covariance diagonals when the product is singular.
    public static let singularOffset = 1e-6
    /// The largest imaginary part of tr (Σ₁Σ₂)^½ dropped as rounding, as in the ADM evaluator.
    public static let imaginaryTolerance = 1e-3

    /// The distance between `a` and `b` (same dimension).
    /// - Throws: `EvaluationError` when the dimensions differ, a covariance is not symmetric (beyond
    ///   1e-6 of its largest entry) or holds non-finite values, or Σ₁Σ₂ has an eigenvalue so negative that
    ///   the imaginary part of the trace of its square root exceeds 1e-3.
    public static func compute(_ a: FeatureStatistics, _ b: FeatureStatistics) throws -> FrechetDistanceResult {
        guard a.dimension == b.dimension else {
            throw EvaluationError("statistics of \(a.dimension)-d and \(b.dimension)-d features cannot be compared")
        }
        let s1 = try checkedSymmetric(a.covariance, "first")
        let s2 = try checkedSymmetric(b.covariance, "second")
        let difference = try a.mean - b.mean
        let meanTerm = try (difference * difference).sum().item()
        let traces = try s1.diagonal().sum().item() + s2.diagonal().sum().item()
        var offset = 0.0
        var root: (trace: Double, imaginary: Double)
        do {
            root = try traceOfSquareRoot(s1, s2)
        } catch {
            offset = singularOffset
            let eye = try Tensor.eye(a.dimension, dtype: .float64)
            root = try traceOfSquareRoot(s1 + eye * offset, s2 + eye * offset)
        }
        guard root.imaginary <= imaginaryTolerance else {
            throw EvaluationError(String(format: "the covariances are not positive semi-definite: tr (Σ₁Σ₂)^½ has an imaginary part of %.3g", root.imaginary))
        }
        return FrechetDistanceResult(value: meanTerm + traces - 2 * root.trace, meanTerm: meanTerm,
                                     traceOfSquareRoot: root.trace, diagonalOffset: offset)
    }

    /// tr (s1 s2)^½ from the eigenvalues of s1^½ s2 s1^½, and the imaginary part that negative eigenvalues
    /// would give it. Throws when a decomposition fails or yields non-finite values.
    static func traceOfSquareRoot(_ s1: Tensor, _ s2: Tensor) throws -> (trace: Double, imaginary: Double) {
        let (w, v) = try s1.symmetricEigen()
        let rootW = try numericalZerosCleared(w).clamp(min: 0).sqrt()
        let rootS1 = try (v * rootW.unsqueeze(0)).matmul(v.transpose(0, 1))       // V diag(√w) Vᵀ
        var m = try rootS1.matmul(s2).matmul(rootS1)
        m = try (m + m.transpose(0, 1)) * 0.5
        let mu = try numericalZerosCleared(m.symmetricEigenvalues())
        guard try mu.isFinite().all().item() != 0, try rootS1.isFinite().all().item() != 0 else {
            throw EvaluationError("the eigendecomposition gave non-finite values")
        }
        let trace = try mu.clamp(min: 0).sqrt().sum().item()
        let imaginary = try (mu * -1).clamp(min: 0).sqrt().sum().item()
        return (trace, imaginary)
    }

    /// Eigenvalues with |λ| <= n · 2^-52 · max |λ| set to zero. A symmetric eigensolver returns the exact
    /// eigenvalues of a matrix within about that (relative) distance of its input, so these are zeros to
    /// working precision; left as they are, a singular covariance's zero eigenvalues would come out as
    /// ±1e-15 and add √1e-15 ≈ 3e-8 each to the trace of the square root.
    static func numericalZerosCleared(_ eigenvalues: Tensor) throws -> Tensor {
        let largest = try eigenvalues.abs().max().item()
        let threshold = Double(eigenvalues.size(0)) * 0x1p-52 * largest
        return try eigenvalues.maskedFill(eigenvalues.abs() .<= threshold, 0)
    }

    /// The covariance made exactly symmetric, after checking that it nearly is and that it is finite.
    static func checkedSymmetric(_ s: Tensor, _ which: String) throws -> Tensor {
        guard try s.isFinite().all().item() != 0 else { throw EvaluationError("the \(which) covariance holds NaN or infinite values") }
        let largest = try s.abs().max().item()
        let asymmetry = try (s - s.transpose(0, 1)).abs().max().item()
        guard asymmetry <= 1e-6 * largest else {
            throw EvaluationError(String(format: "the \(which) covariance is not symmetric (entries differ by %.3g of its largest)", asymmetry / largest))
        }
        return try (s + s.transpose(0, 1)) * 0.5
    }
}
