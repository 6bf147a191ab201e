import Torch

/// Continuous time `t` in (0, 1] over a discrete schedule, as the authors' DPM-Solver sees it
/// (`NoiseScheduleVP('discrete', betas)`), in float32.
///
/// Knots `t_k = k / N` (k = 1...N) carry `log(alpha_{t_k}) = 0.5 * sum_{i<=k} log(1 - beta_i)`,
/// so `t = n / N` is the discrete step n; between knots `log(alpha)` is linear in `t`, and beyond
/// the ends the first and last segments extend. Everything is float32 in the authors' order.
public struct InterpolatedVPSchedule: Sendable {
    /// Knot times `1/N ... 1` (float32 `linspace`).
    public let knotTimes: [Float]
    /// `log(alpha)` at the knots.
    public let knotLogAlphas: [Float]
    private let reversedLogAlphas: [Float]
    private let reversedTimes: [Float]

    /// Builds the knots from `beta_1 ... beta_N` (rounded to float32, as `torch.tensor(betas).float()`).
    public init(betas: [Double]) throws {
        precondition(betas.count >= 2, "need at least two betas")
        let b = try Tensor(betas).to(.float32)
        let logAlphas = try ((1.0 - b).log().cumsum(dim: 0)) * 0.5             // (N)
        let n = betas.count
        let times = try Tensor.linspace(1.0 / Double(n), 1.0, steps: n, dtype: .float32)
        knotTimes = try times.toArray(Float.self)
        knotLogAlphas = try logAlphas.toArray(Float.self)
        reversedLogAlphas = knotLogAlphas.reversed()
        reversedTimes = knotTimes.reversed()
    }

    /// The schedule of a `NoiseSchedule`'s betas.
    public init(_ schedule: NoiseSchedule) throws { try self.init(betas: schedule.betas) }

    /// `log(alpha_t)`, piecewise linear in `t`.
    public func logMeanCoefficient(_ t: Float) -> Float {
        Self.interpolate(t, xs: knotTimes, ys: knotLogAlphas)
    }

    /// `alpha_t = exp(log(alpha_t))`.
    public func alpha(_ t: Float) throws -> Float { try Float32Math.exp(logMeanCoefficient(t)) }

    /// `sigma_t = sqrt(1 - exp(2 log(alpha_t)))`.
    public func sigma(_ t: Float) throws -> Float {
        let alphaSquared = try Float32Math.exp(2 * logMeanCoefficient(t))
        return try Float32Math.sqrt(1 - alphaSquared)
    }

    /// The half log-SNR `lambda_t = log(alpha_t) - log(sigma_t)`.
    public func lambda(_ t: Float) throws -> Float {
        let logAlpha = logMeanCoefficient(t)
        let alphaSquared = try Float32Math.exp(2 * logAlpha)
        let logSigma = 0.5 * (try Float32Math.log(1 - alphaSquared))
        return logAlpha - logSigma
    }

    /// The time whose half log-SNR is `lambda` (through `log(alpha) = -0.5 log(1 + exp(-2 lambda))`).
    public func inverseLambda(_ lambda: Float) -> Float {
        let logAlpha = -0.5 * Float32Math.logAddExp(0, -2 * lambda)
        return Self.interpolate(logAlpha, xs: reversedLogAlphas, ys: reversedTimes)
    }

    /// Piecewise-linear interpolation through increasing knots `xs`, extended linearly outside them;
    /// the segment choice and the arithmetic follow the authors' `interpolate_fn`.
    static func interpolate(_ x: Float, xs: [Float], ys: [Float]) -> Float {
        let k = xs.count
        // Knots strictly below x: x sorts before knots equal to it.
        var lo = 0, hi = k
        while lo < hi {
            let mid = (lo + hi) / 2
            if xs[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        let a = lo == 0 ? 0 : (lo == k ? k - 2 : lo - 1)
        let b = a + 1
        let startX = xs[a], endX = xs[b], startY = ys[a], endY = ys[b]
        return startY + (x - startX) * (endY - startY) / (endX - startX)
    }
}
