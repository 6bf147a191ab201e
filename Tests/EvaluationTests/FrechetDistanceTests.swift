import Foundation
import Testing
import Torch
@testable import Evaluation

/// The Fréchet distance against closed forms, including rank-deficient covariances.
struct FrechetDistanceTests {
    /// A Householder reflection I - 2 v vᵀ / |v|²: orthogonal, built without any eigendecomposition.
    static func reflection(_ n: Int, seed: UInt64) throws -> Tensor {
        let v = try Tensor.randn([n, 1], dtype: .float64, generator: Generator(seed: seed))
        let norm2 = try (v * v).sum().item()
        return try Tensor.eye(n, dtype: .float64) - v.matmul(v.transpose(0, 1)) * (2 / norm2)
    }

    static func stats(_ mean: [Double], _ covariance: Tensor) throws -> FeatureStatistics {
        try FeatureStatistics(mean: Tensor(mean), covariance: covariance)
    }

    // Float64 results. The eigendecompositions are backward stable (exact for a matrix within n·2^-52 of
    // the input, relative), and eigenvalues that small are cleared as zeros, so the trace of the square root
    // is exact to some n·2^-52·|Σ|·|Σ| (at most 64 · 2.2e-16 · 100 = 1.4e-12 here; 1.1e-13 measured).
    // 1e-9 absolute is far above that and far below any difference a wrong formula makes.
    static let tolerance = 1e-9

    @Test func commutingCovariancesOfDeficientRankMatchTheClosedForm() throws {
        // Σ₁ = Q diag(a) Qᵀ, Σ₂ = Q diag(b) Qᵀ: d² = |μ₁ - μ₂|² + Σ (√aᵢ - √bᵢ)². Zeros in a and b, at
        // partly different places, make both covariances singular and their product of lower rank still.
        let n = 64
        var a = [Double](repeating: 0, count: n), b = a
        for i in 0..<n {
            let x = Double(i % 7), y = Double(1 + i % 9)
            a[i] = i % 4 == 0 ? 0 : x + 0.5
            b[i] = i % 5 == 0 ? 0 : y / 4
        }
        let q = try Self.reflection(n, seed: 11)
        let s1 = try q.matmul(Tensor(a).diagonalMatrix()).matmul(q.transpose(0, 1))
        let s2 = try q.matmul(Tensor(b).diagonalMatrix()).matmul(q.transpose(0, 1))
        let mu1: [Double] = (0..<n).map { i in Double(i) / 10 }
        let mu2: [Double] = (0..<n).map { i in Double(i % 3) }
        var expected = 0.0
        for i in 0..<n {
            let dm = mu1[i] - mu2[i], dr = a[i].squareRoot() - b[i].squareRoot()
            expected += dm * dm + dr * dr
        }
        let result = try FrechetDistance.compute(Self.stats(mu1, s1), Self.stats(mu2, s2))
        #expect(abs(result.value - expected) <= Self.tolerance, "\(result.value) vs \(expected)")
        #expect(result.diagonalOffset == 0)
    }

    @Test func nonCommutingRankOneCovariancesMatchTheClosedForm() throws {
        // Σ₁ = a aᵀ, Σ₂ = b bᵀ (rank 1, not commuting): tr (Σ₁Σ₂)^½ = |a · b|, d² = |a|² + |b|² - 2 |a · b|.
        let n = 50
        let a: [Double] = (0..<n).map { i in sin(Double(i)) }
        let b: [Double] = (0..<n).map { i in cos(0.3 * Double(i)) + 0.1 }
        let ta = try Tensor(a, shape: [n, 1]), tb = try Tensor(b, shape: [n, 1])
        var dot = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<n { dot += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i] }
        let expected = aa + bb - 2 * abs(dot)
        let zero = [Double](repeating: 0, count: n)
        let result = try FrechetDistance.compute(Self.stats(zero, ta.matmul(ta.transpose(0, 1))),
                                                 Self.stats(zero, tb.matmul(tb.transpose(0, 1))))
        #expect(abs(result.value - expected) <= Self.tolerance, "\(result.value) vs \(expected)")
        #expect(abs(result.traceOfSquareRoot - abs(dot)) <= Self.tolerance)
    }

    @Test func rankTwoCovariancesMatchTheNuclearNorm() throws {
        // Σ₁ = A Aᵀ, Σ₂ = B Bᵀ with A, B (n, 2): tr (Σ₁Σ₂)^½ is the sum of the singular values of M = Aᵀ B,
        // which for a 2 x 2 matrix is √(|M|²_F + 2 |det M|).
        let n = 30
        let aValues: [Double] = (0..<(2 * n)).map { i in Double((i * 7) % 11) - 5 }
        let bValues: [Double] = (0..<(2 * n)).map { i in Double((i * 5) % 13) - 6 }
        let a = try Tensor(aValues, shape: [n, 2]) / 5
        let b = try Tensor(bValues, shape: [n, 2]) / 6
        let m = try a.transpose(0, 1).matmul(b).toArray(Double.self)
        let frobenius2: Double = m[0] * m[0] + m[1] * m[1] + m[2] * m[2] + m[3] * m[3]
        let nuclear = (frobenius2 + 2 * abs(m[0] * m[3] - m[1] * m[2])).squareRoot()
        let s1 = try a.matmul(a.transpose(0, 1)), s2 = try b.matmul(b.transpose(0, 1))
        let zero = [Double](repeating: 0, count: n)
        let result = try FrechetDistance.compute(Self.stats(zero, s1), Self.stats(zero, s2))
        let expected = try s1.diagonal().sum().item() + s2.diagonal().sum().item() - 2 * nuclear
        #expect(abs(result.traceOfSquareRoot - nuclear) <= Self.tolerance, "\(result.traceOfSquareRoot) vs \(nuclear)")
        #expect(abs(result.value - expected) <= Self.tolerance)
    }

    @Test func twoByTwoProductMatchesItsTraceFormula() throws {
        // For a 2 x 2 matrix P with non-negative eigenvalues, tr P^½ = √(tr P + 2 √det P).
        let s1 = try matrix([[2, 0.5], [0.5, 1]]), s2 = try matrix([[1, -0.3], [-0.3, 3]])
        let p = try s1.matmul(s2).toArray(Double.self)
        let expected = (p[0] + p[3] + 2 * (p[0] * p[3] - p[1] * p[2]).squareRoot()).squareRoot()
        let result = try FrechetDistance.compute(Self.stats([1, 2], s1), Self.stats([0, 0], s2))
        #expect(abs(result.traceOfSquareRoot - expected) <= Self.tolerance)
        #expect(abs(result.value - (5 + 3 + 4 - 2 * expected)) <= Self.tolerance)
    }

    @Test func identicalStatisticsAreAtDistanceZero() throws {
        let x = try Tensor.randn([40, 64], dtype: .float64, generator: Generator(seed: 5))  // 40 < 64: singular
        let stats = try FeatureStatistics(features: x)
        let result = try FrechetDistance.compute(stats, stats)
        #expect(abs(result.value) <= 1e-9)
    }

    @Test func badCovariancesAreRefused() throws {
        let ok = try Self.stats([0, 0], matrix([[1, 0], [0, 1]]))
        let notPSD = try Self.stats([0, 0], matrix([[-1, 0], [0, 1]]))
        #expect(thrownMessage { _ = try FrechetDistance.compute(ok, notPSD) }?.contains("not positive semi-definite") == true)
        let asymmetric = try Self.stats([0, 0], matrix([[1, 0.5], [0, 1]]))
        #expect(thrownMessage { _ = try FrechetDistance.compute(ok, asymmetric) }?.contains("not symmetric") == true)
        let nan = try Self.stats([0, 0], matrix([[1, .nan], [.nan, 1]]))
        #expect(thrownMessage { _ = try FrechetDistance.compute(ok, nan) }?.contains("NaN") == true)
        let three = try Self.stats([0, 0, 0], Tensor.eye(3, dtype: .float64))
        #expect(thrownMessage { _ = try FrechetDistance.compute(ok, three) }?.contains("cannot be compared") == true)
    }
}

extension Tensor {
    /// diag(v) of a vector (n) as an (n, n) matrix.
    func diagonalMatrix() throws -> Tensor {
        try Tensor.eye(size(0), dtype: dtype) * unsqueeze(0)
    }
}
