import Foundation

/// Tolerances for comparing a bfloat16 mixed-precision result with the float32 one.
///
/// bfloat16 keeps float32's 8 exponent bits but only 8 significant bits (7 stored), so one correctly
/// rounded conversion to bfloat16 has relative error at most u = 2^-8. Under mixed precision the
/// roundings that matter are the conversions to bfloat16: of a matrix multiply's (or convolution's)
/// inputs and weights, of its result, and of what elementwise operations make from bfloat16 values.
/// The product of two bfloat16 numbers is exact in float32 and libtorch's bfloat16 kernels accumulate
/// in float32 (u = 2^-24, see `Float32Tolerance`), so those sums add nothing comparable.
///
/// Two bounds for `n` dependent roundings (Higham, "Accuracy and Stability of Numerical Algorithms",
/// 2nd ed., section 3.1, with u = 2^-8): the worst case γ_n = n u / (1 - n u), and the probabilistic
/// one of Higham and Mary, "A New Approach to Probabilistic Rounding Error Analysis", SIAM J. Sci.
/// Comput. 41(5), 2019, theorem 2.4: when the rounding errors are independent with mean zero,
/// |θ_n| <= γ̃_n(λ) = exp(λ √n u + n u² / (1 - u)) - 1 holds with probability at least
/// 1 - 2 exp(-λ² (1 - u)² / 2), whatever n.
public enum BFloat16Tolerance {
    /// The bfloat16 unit roundoff u = 2^-8: the largest relative error of one rounding to bfloat16.
    public static let unitRoundoff: Double = 0x1p-8

    /// Higham's γ_n = n u / (1 - n u) with u = 2^-8: the worst-case relative error of `n` dependent roundings.
    public static func gamma(_ n: Int) -> Double {
        precondition(n >= 0, "a depth counts roundings and cannot be negative")
        let nu = Double(n) * unitRoundoff
        precondition(nu < 1, "depth \(n) is too large for a worst-case bfloat16 bound")
        return nu / (1 - nu)
    }

    /// Higham and Mary's γ̃_n(λ) = exp(λ √n u + n u² / (1 - u)) - 1 with u = 2^-8: the relative error of `n`
    /// dependent roundings with independent, mean-zero errors, exceeded with probability at most
    /// `failureProbability(lambda:)`.
    public static func probabilistic(_ n: Int, lambda: Double) -> Double {
        precondition(n >= 0 && lambda > 0, "a depth counts roundings and λ is positive")
        let u = unitRoundoff
        return exp(lambda * Double(n).squareRoot() * u + Double(n) * u * u / (1 - u)) - 1
    }

    /// 2 exp(-λ² (1 - u)² / 2): the most probability with which `probabilistic(_:lambda:)` fails.
    public static func failureProbability(lambda: Double) -> Double {
        2 * exp(-lambda * lambda * (1 - unitRoundoff) * (1 - unitRoundoff) / 2)
    }
}
