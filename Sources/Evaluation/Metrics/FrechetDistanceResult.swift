/// A Fréchet distance and its parts.
public struct FrechetDistanceResult: Sendable, Equatable {
    /// d² = |μ₁ - μ₂|² + tr Σ₁ + tr Σ₂ - 2 tr (Σ₁Σ₂)^½ (the number reported as FID).
    public let value: Double
    /// |μ₁ - μ₂|².
    public let meanTerm: Double
    /// tr (Σ₁Σ₂)^½ (of the offset covariances when `diagonalOffset` > 0).
    public let traceOfSquareRoot: Double
    /// What was added to both covariance diagonals because the product was singular: 0, or 1e-6 as the
    /// ADM evaluator does.
    public let diagonalOffset: Double
}
