import Foundation
import Testing
import Torch
@testable import Evaluation

/// Streaming mean and covariance against the two-pass formulas of np.mean and np.cov.
struct StatisticsTests {
    @Test func batchesGiveTheTwoPassStatistics() throws {
        // Features far from the origin (offset 1000) with unit spread: a naive Σxxᵀ - n μμᵀ loses 6 digits.
        let x = try Tensor.randn([1000, 16], dtype: .float64, generator: Generator(seed: 9)) + 1000
        var accumulator = try StatisticsAccumulator(dimension: 16)
        for start in stride(from: 0, to: 1000, by: 300) {
            try accumulator.add(x.narrow(dim: 0, start: start, length: min(300, 1000 - start)))
        }
        let stats = try accumulator.statistics()
        let mean = try x.mean(dims: [0])
        let centered = try x - mean
        let covariance = try centered.transpose(0, 1).matmul(centered) / 999
        // Each entry sums 1000 float64 products (values of order 1 after the shift): γ_1000 · a few ≈ 1e-12.
        #expect(try (stats.mean - mean).abs().max().item() <= 1e-9)
        #expect(try (stats.covariance - covariance).abs().max().item() <= 1e-9)
        #expect(stats.count == 1000)
    }

    @Test func tooFewOrBadFeaturesAreRefused() throws {
        var accumulator = try StatisticsAccumulator(dimension: 3)
        try accumulator.add(Tensor.zeros([1, 3]))
        #expect(thrownMessage { _ = try accumulator.statistics() }?.contains("at least 2") == true)
        #expect(thrownMessage { try accumulator.add(Tensor.zeros([2, 4])) }?.contains("(B, 3)") == true)
        #expect(thrownMessage { try accumulator.add(Tensor.full([2, 3], .nan)) }?.contains("NaN") == true)
    }

    @Test func statisticsReadFromFilesAreCheckedBeforeUse() throws {
        let x = try Tensor.randn([50, 6], dtype: .float64, generator: Generator(seed: 3))
        let good = try FeatureStatistics(features: x)
        try good.checkComparable()
        // A rank-deficient covariance (fewer vectors than dimensions) is positive semi-definite: accepted.
        try FeatureStatistics(features: x.narrow(dim: 0, start: 0, length: 3)).checkComparable()
        func message(_ mean: Tensor, _ covariance: Tensor) -> String? {
            thrownMessage { try FeatureStatistics(mean: mean, covariance: covariance).checkComparable() }
        }
        #expect(message(try good.mean.maskedFill(good.mean .< 100, .nan), good.covariance)?.contains("the mean holds NaN") == true)
        #expect(message(good.mean, try good.covariance * .infinity)?.contains("the covariance holds NaN or infinite") == true)
        var bump = [Double](repeating: 0, count: 36)
        bump[1] = 0.5
        #expect(message(good.mean, try good.covariance + Tensor(bump, shape: [6, 6]))?.contains("not symmetric") == true)
        #expect(message(good.mean, try good.covariance * -1)?.contains("not positive semi-definite") == true)
    }
}
