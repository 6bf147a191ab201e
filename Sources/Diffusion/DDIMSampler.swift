import Torch

/// Deterministic DDIM (eta = 0) on the discrete schedule.
///
/// Each step predicts `x0 = (x_n - sqrt(1 - abar_n) eps) / sqrt(abar_n)` and moves to the next
/// step `m` along the same noise: `x_m = sqrt(abar_m) x0 + sqrt(1 - abar_m) eps`; the last step
/// goes to `abar = 1` (diffusers' `set_alpha_to_one`), returning `x0`.
public struct DDIMSampler: Sampler {
    /// The discrete schedule.
    public let schedule: NoiseSchedule
    /// The steps n visited, decreasing from N.
    public let timesteps: [Int]
    /// How `timesteps` were chosen.
    public let spacing: TimestepSpacing

    /// DDIM with `steps` denoiser calls, spaced by `spacing` (time-uniform by default).
    public init(schedule: NoiseSchedule, steps: Int, spacing: TimestepSpacing = .timeUniform) throws {
        guard steps >= 1, steps <= schedule.count else {
            throw TorchError("DDIM needs 1...\(schedule.count) steps, got \(steps)")
        }
        self.schedule = schedule
        self.spacing = spacing
        self.timesteps = spacing.timesteps(count: steps, schedule: schedule)
    }

    /// `DDIM (spacing)`.
    public var name: String { "DDIM (eta 0, \(spacing.displayName))" }
    /// One step per timestep.
    public var stepCount: Int { timesteps.count }
    /// One denoiser call per step.
    public var denoiserCalls: Int { timesteps.count }
    /// The steps n, one call at each.
    public var callTimes: [Float] { timesteps.map(Float.init) }

    /// Starts the loop from `noise` at step N.
    public func makeLoop(predictor: any NoisePredictor, noise: Tensor, imageIndices: Range<Int>) throws -> DenoisingLoop {
        DenoisingLoop(state: DDIMState(schedule: schedule, timesteps: timesteps, predictor: predictor),
                      noise: noise, predictor: predictor)
    }
}

final class DDIMState: SolverState {
    let schedule: NoiseSchedule
    let timesteps: [Int]
    let predictor: any NoisePredictor

    init(schedule: NoiseSchedule, timesteps: [Int], predictor: any NoisePredictor) {
        self.schedule = schedule
        self.timesteps = timesteps
        self.predictor = predictor
    }

    var stepCount: Int { timesteps.count }

    func advance(_ index: Int, _ x: Tensor) throws -> (sample: Tensor, time: Double) {
        let n = timesteps[index]
        let m = index + 1 < timesteps.count ? timesteps[index + 1] : 0
        let eps = try predictor.predictNoise(x, time: Float(n))
        let x0 = try (x - (eps * schedule.noise(n))) / schedule.signal(n)
        let next = try (x0 * schedule.signal(m)) + (eps * schedule.noise(m))
        return (next, Double(m))
    }
}

extension TimestepSpacing {
    /// A short name for display.
    public var displayName: String {
        switch self {
        case .logSNR: "log-SNR spacing"
        case .timeUniform: "time-uniform spacing"
        }
    }
}
