import Foundation
import Testing
import TestSupport
import Torch
@testable import Diffusion

@Suite("DPM-Solver++(3M) SDE")
struct DPMSolverPlusPlusSDETests {
    let schedule: NoiseSchedule

    init() throws { schedule = try NoiseSchedule.stableDiffusion() }

    /// (rule, steps) of the reference runs.
    static let runs: [(String, Int)] = [("none", 5), ("none", 10), ("none", 15), ("none", 20), ("constant", 10), ("decayed", 10)]

    @Test("matches k-diffusion's sample_dpmpp_3m_sde given the same step noise", arguments: runs)
    func matchesKDiffusion(rule: String, steps: Int) throws {
        let seed = try UInt64(Refs.array("dpmpp_3m_sde.seed", Int64.self)[0])
        let network = AnalyticNetwork(bias: try Refs.tensor("solver.bias"))
        let sampler = try DPMSolverPlusPlusSDE(schedule: schedule, steps: steps, seed: seed)
        #expect(sampler.timesteps == (try Refs.array("dpmpp.lu_timesteps.\(steps)", Int64.self).map { Int($0) + 1 }))
        let result = try sampler.sample(network: network, noise: Refs.tensor("solver.z"), classes: Refs.tensor("solver.y"),
                                        nullClass: Refs.nullClass, guidance: AlternativeSamplerTests.guidance(rule),
                                        imageIndices: 0..<2)
        // The step noise enters each step like the sample (a coefficient at most 1 in magnitude, the
        // same arithmetic depth), so the deterministic samplers' tolerance argument holds; k-diffusion
        // works on x / alpha, which rounds at the same relative depth.
        let error = try expectMatches(result, "dpmpp_3m_sde.\(rule).\(steps)", tolerance: samplerTolerance(steps: steps))
        print("DPM-Solver++(3M) SDE \(rule) \(steps) steps vs k-diffusion: relative error \(error)")
        #expect(network.calls.count == steps)
    }

    @Test("each image's noise depends on (seed, image index) only, not on the batch")
    func batchIndependence() throws {
        let bias = try Tensor.randn([11, 4, 8, 8], generator: Generator(seed: 41)) * 0.5
        let classes: [Int64] = [1, 5, 9, 3, 0]
        let sampler = try DPMSolverPlusPlusSDE(schedule: schedule, steps: 8, seed: 12)
        let noise = try InitialNoise.make(seed: 12, indices: 3..<8, shape: [4, 8, 8])
        let batch = try sampler.sample(network: AnalyticNetwork(bias: bias), noise: noise, classes: Tensor(classes),
                                       nullClass: 10, guidance: .constant(scale: 0.4), imageIndices: 3..<8)
        var worst = 0.0
        for i in 0..<5 {
            let image = try sampler.sample(network: AnalyticNetwork(bias: bias), noise: noise.narrow(dim: 0, start: i, length: 1),
                                           classes: Tensor([classes[i]]), nullClass: 10, guidance: .constant(scale: 0.4),
                                           imageIndices: (3 + i)..<(4 + i))
            worst = max(worst, try image.relativeError(to: batch.narrow(dim: 0, start: i, length: 1)))
        }
        // Another batch size may take other vector paths: at most the rounding of two runs of 8 steps.
        #expect(worst <= samplerTolerance(steps: 8))
        // Another seed or another index gives other noise: the images differ by far more than rounding.
        let reseeded = try DPMSolverPlusPlusSDE(schedule: schedule, steps: 8, seed: 13).sample(
            network: AnalyticNetwork(bias: bias), noise: noise, classes: Tensor(classes), nullClass: 10,
            guidance: .constant(scale: 0.4), imageIndices: 3..<8)
        #expect(try reseeded.relativeError(to: batch) > 0.01)
        let shifted = try sampler.sample(network: AnalyticNetwork(bias: bias), noise: noise, classes: Tensor(classes),
                                         nullClass: 10, guidance: .constant(scale: 0.4), imageIndices: 4..<9)
        #expect(try shifted.relativeError(to: batch) > 0.01)
        // The step noise is a stream of its own, not the initial noise's.
        #expect(sampler.noiseSeed(index: 3) != InitialNoise.imageSeed(seed: 12, index: 3))
    }

    @Test("bad settings and mismatched image indices are refused")
    func validation() throws {
        #expect(throws: TorchError.self) { try DPMSolverPlusPlusSDE(schedule: schedule, steps: 1001, seed: 0) }
        #expect(throws: TorchError.self) { try DPMSolverPlusPlusSDE(schedule: schedule, steps: 0, seed: 0) }
        let sampler = try DPMSolverPlusPlusSDE(schedule: schedule, steps: 4, seed: 0)
        #expect(sampler.name == "DPM-Solver++ (3M SDE, log-SNR spacing)" && sampler.denoiserCalls == 4)
        #expect(throws: TorchError.self) {
            try sampler.sample(network: AnalyticNetwork(bias: Tensor.zeros([11, 1, 2, 2])), noise: Tensor.zeros([2, 1, 2, 2]),
                               classes: Tensor([Int64(0), 1]), nullClass: 10, imageIndices: 0..<3)
        }
    }

    /// The variance per pixel of the state after `steps / 2` time-uniform steps (at n = 500), from
    /// N(0, 1) noise, exactly.
    ///
    /// With the Gaussian ideal network every step is affine in the sample and the step noise, with the
    /// same coefficients for every pixel. Row 0 starts at 0 without noise, row 1 at 1 without noise
    /// (minus row 0: the gain of the initial noise), row 2 + k at 0 with a unit impulse as step k's
    /// noise (minus row 0: step k's noise gain); the variance is the sum of the squared gains.
    func variance(steps: Int, ideal: GaussianIdealNetwork) throws -> Double {
        let sampler = try DPMSolverPlusPlusSDE(schedule: schedule, steps: steps, seed: 0, spacing: .timeUniform)
        #expect(sampler.timesteps[steps / 2] == 500)
        let rows = 2 + steps / 2
        let start = try Tensor((0..<rows).map { $0 == 1 ? 1.0 : 0.0 }, shape: [rows, 1, 1, 1])    // float64
        let predictor = try GuidedDenoiser(network: ideal, classes: Tensor([Int64](repeating: 0, count: rows)), nullClass: 1)
        let loop = sampler.makeLoop(predictor: predictor, noise: start) { step in
            try Tensor((0..<rows).map { $0 == 2 + step ? 1.0 : 0.0 }, shape: [rows, 1, 1, 1])
        }
        for _ in 0..<(steps / 2) { _ = try loop.step() }
        let values = try loop.sample.toArray(Double.self)
        return values.dropFirst().reduce(0.0) { $0 + ($1 - values[0]) * ($1 - values[0]) }
    }

    @Test("weak convergence: the variance of its samples tends to the reverse SDE's at second order")
    func weakConvergence() throws {
        let (dataMean, dataStd) = (0.5, 0.8)
        let ideal = GaussianIdealNetwork(schedule: schedule, mean: dataMean, std: dataStd)
        // The exact reverse SDE from x_N ~ N(0, 1) to step n: with v = alpha^2 std^2 + sigma^2 the
        // data's marginal variance, the deviation from the marginal shrinks by
        // phi = (v_n / alpha_n) / (v_N / alpha_N), so the variance is v_n + phi^2 (1 - v_N).
        // (The mean needs no check: data predictions of the mean path are the data mean exactly.)
        func marginal(_ step: Int) -> (alpha: Double, variance: Double) {
            let alpha = schedule.signal(step)
            return (alpha, alpha * alpha * dataStd * dataStd + schedule.oneMinusAlphaBar[step])
        }
        let (alphaN, varianceN) = marginal(schedule.count), (alpha, varianceHere) = marginal(500)
        let phi = (varianceHere / alpha) / (varianceN / alphaN)
        let exact = varianceHere + phi * phi * (1 - varianceN)
        let errors = try [10, 20, 40, 80].map { abs(try variance(steps: $0, ideal: ideal) - exact) / exact }
        let order = log2(errors[0] / errors[3]) / 3
        print("DPM-Solver++(3M) SDE vs the exact variance at n = 500, 10/20/40/80 steps: \(errors), observed order \(order)")
        // Second order: about 4x smaller for twice the steps.
        #expect(zip(errors, errors.dropFirst()).allSatisfy { $0 > 3.5 * $1 })
        #expect(order > 1.9 && errors[3] < 3e-4)
    }
}
