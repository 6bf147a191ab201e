import Foundation
import Testing
import TestSupport
import Torch
@testable import Diffusion

@Suite("UniPC")
struct UniPCSamplerTests {
    let schedule: NoiseSchedule

    init() throws { schedule = try NoiseSchedule.stableDiffusion() }

    /// (order, rule, steps) of the reference runs on log-SNR steps.
    static let runs: [(Int, String, Int)] = [2, 3].flatMap { order in
        [("none", 5), ("none", 10), ("none", 15), ("none", 20), ("constant", 10), ("decayed", 10)].map { (order, $0.0, $0.1) }
    }

    @Test("UniPC-bh2 matches diffusers' UniPCMultistepScheduler on log-SNR steps", arguments: runs)
    func matchesDiffusers(order: Int, rule: String, steps: Int) throws {
        let network = AnalyticNetwork(bias: try Refs.tensor("solver.bias"))
        let sampler = try UniPCSampler(schedule: schedule, steps: steps, order: order)
        let result = try sampler.sample(network: network, noise: Refs.tensor("solver.z"), classes: Refs.tensor("solver.y"),
                                        nullClass: Refs.nullClass, guidance: AlternativeSamplerTests.guidance(rule))
        let error = try expectMatches(result, "unipc.\(order).\(rule).\(steps)", tolerance: samplerTolerance(steps: steps))
        print("UniPC order \(order) \(rule) \(steps) steps vs diffusers: relative error \(error)")
        // The corrector reuses the next step's call: one network call per step.
        #expect(network.calls.count == steps)
    }

    @Test("time-uniform steps are diffusers' trailing steps (+1), and the runs match", arguments: [6, 10])
    func trailingSpacing(steps: Int) throws {
        let diffusers = try Refs.array("unipc.trailing_timesteps.\(steps)", Int64.self).map { Int($0) + 1 }
        for order in [2, 3] {
            let sampler = try UniPCSampler(schedule: schedule, steps: steps, order: order, spacing: .timeUniform)
            #expect(sampler.timesteps == diffusers)
            let result = try sampler.sample(network: AnalyticNetwork(bias: Refs.tensor("solver.bias")), noise: Refs.tensor("solver.z"),
                                            classes: Refs.tensor("solver.y"), nullClass: Refs.nullClass)
            let error = try expectMatches(result, "unipc.\(order).trailing.\(steps)", tolerance: samplerTolerance(steps: steps))
            print("UniPC order \(order) trailing \(steps) steps vs diffusers: relative error \(error)")
        }
    }

    @Test("orders other than 2 and 3 and step counts outside 1...N are refused")
    func validation() throws {
        #expect(throws: TorchError.self) { try UniPCSampler(schedule: schedule, steps: 10, order: 1) }
        #expect(throws: TorchError.self) { try UniPCSampler(schedule: schedule, steps: 10, order: 4) }
        #expect(throws: TorchError.self) { try UniPCSampler(schedule: schedule, steps: 0) }
        #expect(throws: TorchError.self) { try UniPCSampler(schedule: schedule, steps: 1001) }
        let one = try UniPCSampler(schedule: schedule, steps: 1, order: 3)
        #expect(one.denoiserCalls == 1 && one.callTimes == [1000])
        #expect(one.name == "UniPC (bh2, order 3, log-SNR spacing)")
    }

    @Test("the weights' linear solve is exact on a known system and refuses a singular one")
    func smallSolve() throws {
        let solution = try UniPCState.solve(([[1, 1, 1], [-1, -2, 1], [1, 4, 1]], [3, -2, 6]))
        for value in solution { #expect(abs(value - 1) < 1e-12) }
        #expect(throws: TorchError.self) { try UniPCState.solve(([[1, 1], [1, 1]], [1, 2])) }
    }

    @Test("UniPC converges to the exact ODE solution on Gaussian data", arguments: [2, 3])
    func converges(order: Int) throws {
        let ideal = GaussianIdealNetwork(schedule: schedule, mean: 0.5, std: 0.8)
        // float64 samples, so that rounding does not hide the truncation error.
        let noise = try Tensor.randn([2, 3, 8, 8], dtype: .float64, generator: Generator(seed: 24))
        var errors: [Double] = []
        for steps in [10, 20, 40, 80] {
            // Time-uniform steps all pass n = 500 (after steps / 2 steps); compare there.
            let sampler = try UniPCSampler(schedule: schedule, steps: steps, order: order, spacing: .timeUniform)
            #expect(sampler.timesteps[steps / 2] == 500)
            let loop = try sampler.loop(network: ideal, noise: noise, classes: Tensor([Int64(0), 0]), nullClass: 1)
            for _ in 0..<(steps / 2) { _ = try loop.step() }
            errors.append(try relativeError(loop.sample, ideal.flow(noise, from: 1000, to: 500)))
        }
        let observed = log2(errors[0] / errors[3]) / 3
        print("UniPC order \(order) vs exact ODE at n = 500, 10/20/40/80 steps: \(errors), observed order \(observed)")
        // UniPC-p converges at order p + 1 (UniC raises UniP's order by one): at least 6x smaller
        // for twice the steps, about 8x at p = 2 and up to 16x at p = 3, where the rounded
        // time-uniform steps (spacings of 12 and 13 at 80 steps) keep it somewhat below 4.
        #expect(zip(errors, errors.dropFirst()).allSatisfy { $0 > 6 * $1 })
        #expect(order == 2 ? observed > 2.8 && errors[3] < 1e-5 : observed > 3.2 && errors[3] < 1e-6)
    }
}
