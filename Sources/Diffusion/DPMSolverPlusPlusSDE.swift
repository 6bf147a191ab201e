import Foundation
import Torch

/// DPM-Solver++(3M) SDE (Lu et al. 2022, in Katherine Crowson's multistep form): a stochastic
/// multistep sampler with data prediction, as k-diffusion's `sample_dpmpp_3m_sde` with eta = 1.
///
/// With `alpha_n = sqrt(abar_n)`, `sigma_n = sqrt(1 - abar_n)`, `lambda = log(alpha / sigma)`,
/// `h = lambda_next - lambda_n`, `E = 1 - e^-2h` and `x0` data predictions, each step moves
/// `x_next = (sigma_next / sigma_n) e^-h x + alpha_next (E D0 + phi2 D1 - phi3 D2) + sigma_next sqrt(E) z`
/// with `z` standard normal, `phi2 = 1 - E / 2h`, `phi3 = phi2 / 2h - 1/2`, and `D0, D1, D2` the
/// newest data prediction and its scaled first and second differences over the last three steps
/// (`D1 = (x0_n - x0_prev) / r` alone at the second step, none at the first). The last step goes to
/// sigma = 0 and returns the last data prediction.
///
/// k-diffusion, not diffusers, is the reference: diffusers' `sde-dpmsolver++` at order 3 weighs `D2`
/// by `(E - 2h) / 4h^2 - 1/2`, the sign of the 1/2 flipped, which leaves an O(h^2) error per step
/// (first-order convergence of the sample variance on Gaussian data, against second order here).
///
/// The noise of image i comes from its own generator, seeded by (seed, i) as `InitialNoise` does
/// but on a separate stream, and is drawn one (C, H, W) image per step: an image does not depend on
/// the batch it is sampled in.
public struct DPMSolverPlusPlusSDE: Sampler {
    /// The discrete schedule.
    public let schedule: NoiseSchedule
    /// The steps n visited, decreasing from N.
    public let timesteps: [Int]
    /// How `timesteps` were chosen.
    public let spacing: TimestepSpacing
    /// The run's seed: image i's step noise depends only on (seed, i).
    public let seed: UInt64

    /// The stream constant that separates the step noise from the initial noise of the same seed.
    static let noiseStream: UInt64 = 0x5344_4550_4E4F_4953

    /// DPM-Solver++(3M) SDE with `steps` denoiser calls and step noise seeded by `seed`, log-SNR spaced by default.
    /// - Throws: `TorchError` for a step count outside 1...N.
    public init(schedule: NoiseSchedule, steps: Int, seed: UInt64, spacing: TimestepSpacing = .logSNR) throws {
        guard steps >= 1, steps <= schedule.count else {
            throw TorchError("DPM-Solver++ SDE needs 1...\(schedule.count) steps, got \(steps)")
        }
        self.schedule = schedule
        self.seed = seed
        self.spacing = spacing
        self.timesteps = spacing.timesteps(count: steps, schedule: schedule)
    }

    /// `DPM-Solver++ (3M SDE, spacing)`.
    public var name: String { "DPM-Solver++ (3M SDE, \(spacing.displayName))" }
    /// One step per timestep.
    public var stepCount: Int { timesteps.count }
    /// One denoiser call per step.
    public var denoiserCalls: Int { timesteps.count }
    /// The steps n, one call at each.
    public var callTimes: [Float] { timesteps.map(Float.init) }

    /// The generator seed of image `index`'s step noise.
    public func noiseSeed(index: Int) -> UInt64 {
        InitialNoise.imageSeed(seed: seed ^ Self.noiseStream, index: index)
    }

    /// Starts the loop from `noise` at step N; row i of `noise` is image `imageIndices.lowerBound + i`.
    /// - Throws: `TorchError` when `imageIndices` does not match the batch or starts below 0.
    public func makeLoop(predictor: any NoisePredictor, noise: Tensor, imageIndices: Range<Int>) throws -> DenoisingLoop {
        guard imageIndices.count == noise.size(0), imageIndices.lowerBound >= 0 else {
            throw TorchError("\(imageIndices.count) image indices \(imageIndices) for a batch of \(noise.size(0))")
        }
        let generators = try imageIndices.map { try Generator(seed: noiseSeed(index: $0)) }
        let shape = Array(noise.shape.dropFirst())
        return makeLoop(predictor: predictor, noise: noise) { _ in
            try Tensor.cat(generators.map { try Tensor.randn([1] + shape, generator: $0) }).to(device: noise.device)
        }
    }

    /// A loop whose step noise comes from `stepNoise(step)`, (B, C, H, W), called once per step but the last.
    func makeLoop(predictor: any NoisePredictor, noise: Tensor, stepNoise: @escaping (Int) throws -> Tensor) -> DenoisingLoop {
        DenoisingLoop(state: SDEState(schedule: schedule, timesteps: timesteps, predictor: predictor, stepNoise: stepNoise),
                      noise: noise, predictor: predictor)
    }
}

final class SDEState: SolverState {
    let schedule: NoiseSchedule
    let timesteps: [Int]
    let predictor: any NoisePredictor
    let stepNoise: (Int) throws -> Tensor
    /// Data predictions of the last three steps (newest last) with their half log-SNR.
    private var history: [(x0: Tensor, lambda: Double)] = []

    init(schedule: NoiseSchedule, timesteps: [Int], predictor: any NoisePredictor, stepNoise: @escaping (Int) throws -> Tensor) {
        self.schedule = schedule
        self.timesteps = timesteps
        self.predictor = predictor
        self.stepNoise = stepNoise
    }

    var stepCount: Int { timesteps.count }

    private func lambda(_ n: Int) -> Double { log(schedule.signal(n)) - log(schedule.noise(n)) }

    func advance(_ index: Int, _ x: Tensor) throws -> (sample: Tensor, time: Double) {
        let n = timesteps[index]
        let eps = try predictor.predictNoise(x, time: Float(n))
        let x0 = try (x - (eps * schedule.noise(n))) / schedule.signal(n)
        guard index + 1 < timesteps.count else { return (x0, 0) }   // to sigma = 0: x0 itself
        history.append((x0, lambda(n)))
        if history.count > 3 { history.removeFirst() }
        let m = timesteps[index + 1]
        let h = lambda(m) - lambda(n)
        let growth = -expm1(-2 * h)                                        // E = 1 - e^-2h
        let alphaM = schedule.signal(m)
        let phi2 = 1 - growth / (2 * h)
        var next = try (x * (schedule.noise(m) / schedule.noise(n) * exp(-h))) + (x0 * (alphaM * growth))
        let d = history.reversed().map(\.x0), lambdas = history.reversed().map(\.lambda)   // newest first
        if d.count == 2 {
            let r = (lambdas[0] - lambdas[1]) / h
            next = try next + ((d[0] - d[1]) * (alphaM * phi2 / r))
        } else if d.count == 3 {
            let r0 = (lambdas[0] - lambdas[1]) / h, r1 = (lambdas[1] - lambdas[2]) / h
            let d10 = try (d[0] - d[1]) * (1 / r0), d11 = try (d[1] - d[2]) * (1 / r1)
            let d1 = try d10 + ((d10 - d11) * (r0 / (r0 + r1)))
            let d2 = try (d10 - d11) * (1 / (r0 + r1))
            let phi3 = phi2 / (2 * h) - 0.5
            next = try (next + (d1 * (alphaM * phi2))) - (d2 * (alphaM * phi3))
        }
        let z = try stepNoise(index)
        guard z.shape == x.shape else { throw TorchError("step noise of shape \(z.shape) for samples \(x.shape)") }
        next = try next + (z * (schedule.noise(m) * growth.squareRoot()))
        return (next, Double(m))
    }
}
