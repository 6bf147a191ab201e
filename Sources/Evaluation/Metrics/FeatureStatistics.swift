import Torch

/// The mean and covariance of a set of feature vectors, in float64: a Gaussian the Fréchet distance compares.
public struct FeatureStatistics: @unchecked Sendable {
    /// Mean (D), float64.
    public let mean: Tensor
    /// Covariance (D, D), float64, normalised by n - 1 as `np.cov` does.
    public let covariance: Tensor
    /// Number of vectors the statistics were computed from (0 when read from a file that does not say).
    public let count: Int

    /// Statistics from their parts; converted to float64 on the CPU.
    /// - Throws: `EvaluationError` when the shapes are not (D) and (D, D) with D >= 1.
    public init(mean: Tensor, covariance: Tensor, count: Int = 0) throws {
        guard mean.rank == 1, mean.size(0) >= 1, covariance.shape == [mean.size(0), mean.size(0)] else {
            throw EvaluationError("statistics need a mean (D) and a covariance (D, D); got \(mean.shape) and \(covariance.shape)")
        }
        self.mean = try mean.to(.float64, device: .cpu).contiguous()
        self.covariance = try covariance.to(.float64, device: .cpu).contiguous()
        self.count = count
    }

    /// Statistics of the rows of `features` (N, D), N >= 2, as `np.mean(axis=0)` and `np.cov(rowvar=False)`.
    public init(features: Tensor) throws {
        var accumulator = try StatisticsAccumulator(dimension: features.rank == 2 ? features.size(1) : 0)
        try accumulator.add(features)
        self = try accumulator.statistics()
    }

    /// Dimension D of the features.
    public var dimension: Int { mean.size(0) }

    /// Checks what `FrechetDistance.compute` needs, so that statistics read from a file can be refused when
    /// read rather than after the work they are compared with: a finite mean and covariance, the covariance
    /// symmetric to 1e-6 of its largest entry and positive semi-definite up to rounding (no eigenvalue below
    /// -1e-3 times the largest magnitude: a covariance of real data has none; rounding gives some 1e-12).
    /// - Throws: `EvaluationError` naming the mean or the covariance.
    public func checkComparable() throws {
        guard try mean.isFinite().all().item() != 0 else { throw EvaluationError("the mean holds NaN or infinite values") }
        guard try covariance.isFinite().all().item() != 0 else { throw EvaluationError("the covariance holds NaN or infinite values") }
        let largest = try covariance.abs().max().item()
        let asymmetry = try (covariance - covariance.transpose(0, 1)).abs().max().item()
        guard asymmetry <= 1e-6 * largest else {
            throw EvaluationError(String(format: "the covariance is not symmetric (entries differ by %.3g of its largest)", asymmetry / largest))
        }
        let eigenvalues = try ((covariance + covariance.transpose(0, 1)) * 0.5).symmetricEigenvalues()
        let smallest = try eigenvalues.min().item(), scale = try eigenvalues.abs().max().item()
        guard smallest >= -1e-3 * scale else {
            throw EvaluationError(String(format: "the covariance is not positive semi-definite (an eigenvalue of %.3g, the largest magnitude %.3g)",
                                         smallest, scale))
        }
    }
}
