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
}
