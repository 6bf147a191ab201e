/// Tolerances for comparing float32 results that two code paths computed differently.
///
/// Two evaluations of the same float32 computation differ when they round in another order: another
/// CPU's vector width (AVX2 on one processor, AVX-512 on another), another kernel's summation order,
/// another thread count, a fused multiply-add on one side only. The bounds below follow Higham,
/// "Accuracy and Stability of Numerical Algorithms", 2nd ed., section 3.1: a result that goes through
/// a chain of `n` dependent roundings (a sum or dot product of `n + 1` terms counts `n`, in any order)
/// lies within γ_n = n u / (1 - n u) of the exact value, relative to the sum of the magnitudes of its
/// terms, with u = 2^-24 the float32 unit roundoff.
///
/// Tests measure error as max |ours - reference| / max |reference|. Each side is within γ_n of the
/// exact result, so the two differ by at most 2 γ_n, times the condition number: how much larger the
/// magnitudes summed are than the largest result (1 when there is no cancellation; about sqrt(K) for a
/// sum of K terms of random sign). The depth of a computation is argued next to each use.
public enum Float32Tolerance {
    /// The float32 unit roundoff u = 2^-24: the largest relative error of one correctly rounded operation.
    public static let unitRoundoff: Double = 0x1p-24

    /// Higham's γ_n = n u / (1 - n u), the relative error bound of `n` dependent float32 roundings.
    public static func gamma(_ n: Int) -> Double {
        precondition(n >= 0, "a depth counts roundings and cannot be negative")
        let nu = Double(n) * unitRoundoff
        precondition(nu < 1, "depth \(n) is too large for a float32 bound")
        return nu / (1 - nu)
    }

    /// The largest difference, relative to max |reference|, of two independent float32 evaluations of
    /// a computation with `depth` dependent roundings and the given condition number: 2 γ_depth κ.
    public static func depth(_ depth: Int, condition: Double = 1) -> Double {
        precondition(condition >= 1, "a condition number is at least 1")
        return 2 * gamma(depth) * condition
    }

    /// Depth of a library function (exp, log, erf, sin, pow, tanh ...). Vectorised implementations
    /// (SLEEF, as libtorch uses) promise results within 1 ulp and glibc's scalar ones within a few; 4
    /// roundings covers either side using either.
    public static let libraryFunctionDepth = 4
}

extension Float32Tolerance {
    /// Depth of a float32 sum of `n` values computed by libtorch on the CPU.
    ///
    /// ATen's float sum (SumKernel.cpp's cascade sum) adds at most 16 values at each of 4 levels of
    /// partial sums and then combines its vector lanes and independent accumulators pairwise (at most
    /// 8 more, for a vector of 16 lanes and 4 accumulators): 72 roundings at most, whatever the CPU's
    /// vector width, for the sizes tests use. A sequential sum needs n - 1; either bound holds.
    public static func libtorchSumDepth(_ n: Int) -> Int { min(max(n - 1, 0), 72) }
}
