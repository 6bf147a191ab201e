import Torch

/// The discrete diffusion schedule the DiMR authors train with: `N` steps, `n` in 1...N.
///
/// Forward process: `x_n = sqrt(abar_n) x0 + sqrt(1 - abar_n) eps`. The tables are float64 and
/// computed in the authors' arithmetic order (a sequential cumulative product for `abar`, and
/// `1 - abar_n` as the sum over `s` of `beta_s * prod(alpha_{s+1...n})`, added from `s = n` down),
/// so the float32 coefficients equal theirs bit for bit.
public struct NoiseSchedule: Sendable, Equatable {
    /// The time scale of the network's condition: `log_snr = n / timeScale * 8 - 4`.
    public static let timeScale: Double = 1000

    /// `beta_1 ... beta_N` (index 0 holds `beta_1`).
    public let betas: [Double]
    /// `abar_0 ... abar_N`, with `abar_0 = 1`.
    public let alphaBar: [Double]
    /// `1 - abar_n` for n in 0...N, summed the authors' way (`[0] = 0`).
    public let oneMinusAlphaBar: [Double]
    /// `float32(sqrt(abar_n))`, n in 0...N: the signal coefficient of `qSample`.
    public let signalCoefficients: [Float]
    /// `float32(sqrt(1 - abar_n))`, n in 0...N: the noise coefficient of `qSample`.
    public let noiseCoefficients: [Float]

    /// Number of diffusion steps `N`.
    public var count: Int { betas.count }

    /// A schedule from `beta_1 ... beta_N`, each in (0, 1).
    public init(betas: [Double]) {
        precondition(betas.count >= 2, "a noise schedule needs at least two steps")
        precondition(betas.allSatisfy { $0 > 0 && $0 < 1 }, "betas must lie in (0, 1)")
        let n = betas.count
        let alphas = [1.0] + betas.map { 1 - $0 }            // alphas[0] = 1
        let padded = [0.0] + betas                           // padded[s] = beta_s
        var alphaBar = [Double](repeating: 1, count: n + 1)
        for t in 1...n { alphaBar[t] = t == 1 ? alphas[1] : alphaBar[t - 1] * alphas[t] }
        // 1 - abar_t = sum_{s=1..t} beta_s * prod_{k=s+1..t} alpha_k, accumulated from s = t down to 1.
        var oneMinus = [Double](repeating: 0, count: n + 1)
        var started = [Bool](repeating: false, count: n + 1)
        var row = [Double](repeating: 1, count: n + 1)       // row[t] = prod_{k=s+1..t} alpha_k
        for s in stride(from: n, through: 1, by: -1) {
            row[s] = 1
            if s < n {
                row[s + 1] = alphas[s + 1]
                if s + 2 <= n { for t in (s + 2)...n { row[t] = row[t - 1] * alphas[t] } }
            }
            for t in s...n {
                let term = padded[s] * row[t]
                oneMinus[t] = started[t] ? oneMinus[t] + term : term
                started[t] = true
            }
        }
        self.betas = betas
        self.alphaBar = alphaBar
        self.oneMinusAlphaBar = oneMinus
        self.signalCoefficients = alphaBar.map { Float($0.squareRoot()) }
        self.noiseCoefficients = oneMinus.map { Float($0.squareRoot()) }
    }

    /// The "scaled linear" schedule: `betas = linspace(sqrt(start), sqrt(end), count)^2` in float64
    /// (computed by libtorch, as the authors do).
    public static func scaledLinear(start: Double = 0.00085, end: Double = 0.0120, count: Int = 1000) throws -> NoiseSchedule {
        guard count >= 2 else { throw TorchError("a noise schedule needs at least two steps, got \(count)") }
        let betas = try Tensor.linspace(start.squareRoot(), end.squareRoot(), steps: count, dtype: .float64).pow(2)
        return NoiseSchedule(betas: try betas.toArray(Double.self))
    }

    /// The authors' schedule: scaled linear from 0.00085 to 0.0120 over 1000 steps.
    public static func stableDiffusion() throws -> NoiseSchedule { try scaledLinear() }

    /// `sqrt(abar_n)` in float64.
    public func signal(_ n: Int) -> Double { alphaBar[n].squareRoot() }

    /// `sqrt(1 - abar_n)` in float64.
    public func noise(_ n: Int) -> Double { oneMinusAlphaBar[n].squareRoot() }

    /// The network's time condition for discrete steps (B), int64: `log_snr = n / 1000 * 8 - 4` in float32.
    public static func timeCondition(_ timesteps: Tensor) throws -> Tensor {
        try ((timesteps.to(.float32) / timeScale) * 8) - 4
    }

    /// The time condition for a time `t` on the 0...1000 scale, in float32 arithmetic.
    public static func timeCondition(time t: Float) -> Float {
        ((t / Float(timeScale)) * 8) - 4
    }

    /// Draws `count` steps uniformly from 1...N (int64, on the CPU).
    public func sampleTimesteps(_ count: Int, generator: Generator) throws -> Tensor {
        try Tensor.randint(1, self.count + 1, [count], generator: generator)
    }

    /// Noises clean data: `sqrt(abar_n) x0 + sqrt(1 - abar_n) eps`, per sample.
    /// - Parameters:
    ///   - x0: clean data (B, ...), float32.
    ///   - noise: standard normal noise of the same shape.
    ///   - timesteps: int64 steps (B) in 1...N.
    public func qSample(x0: Tensor, noise: Tensor, timesteps: Tensor) throws -> Tensor {
        guard x0.shape == noise.shape else {
            throw TorchError("qSample: x0 \(x0.shape) and noise \(noise.shape) differ in shape")
        }
        let steps = try checkedSteps(timesteps, batch: x0.size(0))
        let shape = [steps.count] + [Int](repeating: 1, count: x0.rank - 1)
        let signal = try Tensor(steps.map { signalCoefficients[$0] }, shape: shape).to(device: x0.device)
        let noiseScale = try Tensor(steps.map { noiseCoefficients[$0] }, shape: shape).to(device: x0.device)
        return try (signal * x0) + (noiseScale * noise)   // (B, ...)
    }

    /// The steps of an int64 tensor as Swift integers, checked to be in 1...N.
    func checkedSteps(_ timesteps: Tensor, batch: Int) throws -> [Int] {
        guard timesteps.rank == 1, timesteps.size(0) == batch else {
            throw TorchError("timesteps must have shape [\(batch)], got \(timesteps.shape)")
        }
        let steps = try timesteps.to(.int64, device: .cpu).toArray(Int64.self).map(Int.init)
        if let bad = steps.first(where: { $0 < 1 || $0 > count }) {
            throw TorchError("timestep \(bad) outside 1...\(count)")
        }
        return steps
    }
}
