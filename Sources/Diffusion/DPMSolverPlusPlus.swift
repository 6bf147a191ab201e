import Foundation
import Torch

/// Multistep DPM-Solver++ (2M, midpoint form) with data prediction on the discrete schedule.
///
/// With `alpha_n = sqrt(abar_n)`, `sigma_n = sqrt(1 - abar_n)`, `lambda = log(alpha / sigma)` and
/// `h = lambda_next - lambda_n`, each step predicts `x0` and moves
/// `x_next = (sigma_next / sigma_n) x - alpha_next (e^-h - 1) (x0 + (x0 - x0_prev) / (2 r))`,
/// `r = (lambda_n - lambda_prev) / h`. The first step has no history and is first order; the last
/// step goes to sigma = 0 and returns the last `x0` (diffusers' `final_sigmas_type="zero"`).
public struct DPMSolverPlusPlus: Sampler {
    /// The discrete schedule.
    public let schedule: NoiseSchedule
    /// The steps n visited, decreasing from N.
    public let timesteps: [Int]
    /// How `timesteps` were chosen.
    public let spacing: TimestepSpacing

    /// DPM-Solver++(2M) with `steps` denoiser calls, log-SNR spaced by default.
    public init(schedule: NoiseSchedule, steps: Int, spacing: TimestepSpacing = .logSNR) throws {
        guard steps >= 1, steps <= schedule.count else {
            throw TorchError("DPM-Solver++ needs 1...\(schedule.count) steps, got \(steps)")
        }
        self.schedule = schedule
        self.spacing = spacing
        self.timesteps = spacing.timesteps(count: steps, schedule: schedule)
    }

    /// `DPM-Solver++ (2M, spacing)`.
    public var name: String { "DPM-Solver++ (2M, \(spacing.displayName))" }
    /// One step per timestep.
    public var stepCount: Int { timesteps.count }
    /// One denoiser call per step.
    public var denoiserCalls: Int { timesteps.count }
    /// The steps n, one call at each.
    public var callTimes: [Float] { timesteps.map(Float.init) }

    /// Starts the loop from `noise` at step N.
    public func makeLoop(predictor: any NoisePredictor, noise: Tensor, imageIndices: Range<Int>) throws -> DenoisingLoop {
        DenoisingLoop(state: DPMPlusPlusState(schedule: schedule, timesteps: timesteps, predictor: predictor),
                      noise: noise, predictor: predictor)
    }
}

final class DPMPlusPlusState: SolverState {
    let schedule: NoiseSchedule
    let timesteps: [Int]
    let predictor: any NoisePredictor
    /// The previous step's data prediction and half log-SNR.
    private var previous: (x0: Tensor, lambda: Double)?

    init(schedule: NoiseSchedule, timesteps: [Int], predictor: any NoisePredictor) {
        self.schedule = schedule
        self.timesteps = timesteps
        self.predictor = predictor
    }

    var stepCount: Int { timesteps.count }

    private func lambda(_ n: Int) -> Double { log(schedule.signal(n)) - log(schedule.noise(n)) }

    func advance(_ index: Int, _ x: Tensor) throws -> (sample: Tensor, time: Double) {
        let n = timesteps[index]
        let eps = try predictor.predictNoise(x, time: Float(n))
        let x0 = try (x - (eps * schedule.noise(n))) / schedule.signal(n)
        guard index + 1 < timesteps.count else { return (x0, 0) }   // to sigma = 0: x0 itself
        let m = timesteps[index + 1]
        let lambdaN = lambda(n), lambdaM = lambda(m)
        let h = lambdaM - lambdaN
        let decay = schedule.signal(m) * (exp(-h) - 1)                    // alpha_next (e^-h - 1)
        var next = try (x * (schedule.noise(m) / schedule.noise(n))) - (x0 * decay)
        if let previous {
            let r = (lambdaN - previous.lambda) / h
            let slope = try (x0 - previous.x0) * (1 / r)
            next = try next - (slope * (0.5 * decay))
        }
        previous = (x0, lambdaN)
        return (next, Double(m))
    }
}
