import Torch

/// Mean and covariance of feature vectors added batch by batch, in float64, so that the vectors need not
/// be kept: memory is that of one (D, D) matrix.
///
/// Sums are taken of the vectors minus a shift (the mean of the first batch), the shifted-data algorithm:
/// the covariance `(Σ yyᵀ - (Σ y)(Σ y)ᵀ / n) / (n - 1)` of y = x - shift then loses only the digits of
/// |mean - shift|² relative to the variances, not those of |mean|².
public struct StatisticsAccumulator {
    /// Dimension D of the vectors.
    public let dimension: Int
    /// Number of vectors added.
    public private(set) var count = 0
    private var shift: Tensor?
    private var sum: Tensor
    private var sumOfProducts: Tensor

    /// An empty accumulator for D-dimensional vectors.
    /// - Throws: `EvaluationError` when D < 1.
    public init(dimension: Int) throws {
        guard dimension >= 1 else { throw EvaluationError("feature statistics need a dimension of at least 1, got \(dimension)") }
        self.dimension = dimension
        sum = try Tensor.zeros([dimension], dtype: .float64)
        sumOfProducts = try Tensor.zeros([dimension, dimension], dtype: .float64)
    }

    /// Adds the rows of `features` (B, D), any float dtype and device.
    /// - Throws: `EvaluationError` for another shape or non-finite values.
    public mutating func add(_ features: Tensor) throws {
        guard features.rank == 2, features.size(1) == dimension else {
            throw EvaluationError("expected features (B, \(dimension)), got \(features.shape)")
        }
        guard features.size(0) > 0 else { return }
        let x = try features.to(.float64, device: .cpu)
        guard try x.isFinite().all().item() != 0 else { throw EvaluationError("features hold NaN or infinite values") }
        if shift == nil { shift = try x.mean(dims: [0]) }
        guard let shift else { return }
        let y = try x - shift                                                       // (B, D)
        sum = try sum + y.sum(dims: [0])
        sumOfProducts = try sumOfProducts + y.transpose(0, 1).matmul(y)             // (D, D)
        count += features.size(0)
    }

    /// The statistics of every vector added.
    /// - Throws: `EvaluationError` with fewer than 2 vectors (no covariance).
    public func statistics() throws -> FeatureStatistics {
        guard count >= 2, let shift else {
            throw EvaluationError("feature statistics need at least 2 vectors, got \(count)")
        }
        let n = Double(count)
        let meanShifted = try sum / n
        let outer = try meanShifted.unsqueeze(1).matmul(meanShifted.unsqueeze(0))   // (D, D)
        var covariance = try (sumOfProducts - outer * n) / (n - 1)
        covariance = try (covariance + covariance.transpose(0, 1)) * 0.5            // exactly symmetric
        return try FeatureStatistics(mean: meanShifted + shift, covariance: covariance, count: count)
    }
}
