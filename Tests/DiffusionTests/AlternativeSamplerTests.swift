import Foundation
import Testing
import TestSupport
import Torch
@testable import Diffusion

@Suite("DDIM and DPM-Solver++")
struct AlternativeSamplerTests {
    let schedule: NoiseSchedule

    init() throws { schedule = try NoiseSchedule.stableDiffusion() }

    static func guidance(_ rule: String) -> Guidance {
        switch rule {
        case "constant": .constant(scale: 0.4)
        case "decayed": .decayed(scale: 1.5, power: 1)
        default: .none
        }
    }

    @Test("DDIM's time-uniform steps are diffusers' trailing steps (+1)", arguments: [5, 10, 20, 50])
    func ddimTimesteps(steps: Int) throws {
        let sampler = try DDIMSampler(schedule: schedule, steps: steps)
        let diffusers = try Refs.array("ddim.timesteps.\(steps)", Int64.self).map { Int($0) + 1 }
        #expect(sampler.timesteps == diffusers)
    }

    @Test("DDIM matches diffusers' DDIMScheduler", arguments: [("none", 5), ("none", 10), ("none", 20), ("none", 50), ("constant", 10), ("decayed", 10)])
    func ddimMatchesDiffusers(rule: String, steps: Int) throws {
        let network = AnalyticNetwork(bias: try Refs.tensor("solver.bias"))
        let sampler = try DDIMSampler(schedule: schedule, steps: steps)
        let result = try sampler.sample(network: network, noise: Refs.tensor("solver.z"), classes: Refs.tensor("solver.y"),
                                        nullClass: Refs.nullClass, guidance: Self.guidance(rule))
        let error = try expectMatches(result, "ddim.\(rule).\(steps)", tolerance: samplerTolerance(steps: steps))
        print("DDIM \(rule) \(steps) steps vs diffusers: relative error \(error)")
    }

    @Test("DPM-Solver++'s log-SNR steps are diffusers' use_lu_lambdas steps (+1)", arguments: [5, 8, 10, 15, 20])
    func logSNRTimesteps(steps: Int) throws {
        let sampler = try DPMSolverPlusPlus(schedule: schedule, steps: steps)
        let diffusers = try Refs.array("dpmpp.lu_timesteps.\(steps)", Int64.self).map { Int($0) + 1 }
        #expect(sampler.timesteps == diffusers)
    }

    @Test("DPM-Solver++(2M) matches diffusers' DPMSolverMultistepScheduler", arguments: [("none", 5), ("none", 10), ("none", 15), ("none", 20), ("constant", 10), ("decayed", 10)])
    func dpmPlusPlusMatchesDiffusers(rule: String, steps: Int) throws {
        let network = AnalyticNetwork(bias: try Refs.tensor("solver.bias"))
        let sampler = try DPMSolverPlusPlus(schedule: schedule, steps: steps)
        let result = try sampler.sample(network: network, noise: Refs.tensor("solver.z"), classes: Refs.tensor("solver.y"),
                                        nullClass: Refs.nullClass, guidance: Self.guidance(rule))
        let error = try expectMatches(result, "dpmpp.\(rule).\(steps)", tolerance: samplerTolerance(steps: steps))
        print("DPM-Solver++ \(rule) \(steps) steps vs diffusers: relative error \(error)")
        #expect(network.calls.count == steps)
    }

    @Test("spacings give distinct decreasing steps in N...1", arguments: TimestepSpacing.allCases)
    func spacingsAreValid(spacing: TimestepSpacing) {
        for count in [1, 2, 7, 50, 200, 999, 1000] {
            let steps = spacing.timesteps(count: count, schedule: schedule)
            #expect(steps.count == count)
            #expect(steps.first == 1000, "\(spacing) \(count) starts at \(steps.first ?? -1)")
            #expect(zip(steps, steps.dropFirst()).allSatisfy { $0 > $1 } && (steps.last ?? 0) >= 1)
        }
        #expect(TimestepSpacing.logSNR.timesteps(count: 10, schedule: schedule).last == 1)
    }

    @Test("DDIM converges to the exact ODE solution on Gaussian data")
    func ddimConverges() throws {
        let ideal = GaussianIdealNetwork(schedule: schedule, mean: 0.5, std: 0.8)
        let noise = try Tensor.randn([2, 3, 8, 8], generator: Generator(seed: 22))
        let exact = try ideal.flow(noise, from: 1000, to: 0)
        let errors = try [10, 40, 160].map { steps in
            try relativeError(DDIMSampler(schedule: schedule, steps: steps).sample(
                network: ideal, noise: noise, classes: Tensor([Int64(0), 0]), nullClass: 1), exact)
        }
        print("DDIM vs exact ODE, 10/40/160 steps: \(errors)")
        // First order: about 3.5x smaller for 4x the steps.
        #expect(errors[0] > 3 * errors[1] && errors[1] > 3 * errors[2])
        #expect(errors[2] < 0.02)
    }

    @Test("DPM-Solver++ (log-SNR spacing) converges to the exact ODE solution on Gaussian data")
    func dpmPlusPlusConverges() throws {
        let ideal = GaussianIdealNetwork(schedule: schedule, mean: 0.5, std: 0.8)
        let noise = try Tensor.randn([2, 3, 8, 8], generator: Generator(seed: 23))
        var errors: [Double] = []
        for steps in [10, 20, 40, 80] {
            let sampler = try DPMSolverPlusPlus(schedule: schedule, steps: steps)
            // The state at the last step, before the final jump to the data prediction.
            let loop = try sampler.loop(network: ideal, noise: noise, classes: Tensor([Int64(0), 0]), nullClass: 1)
            for _ in 0..<(steps - 1) { _ = try loop.step() }
            let last = Double(sampler.timesteps[steps - 1])
            let before = loop.sample
            errors.append(try relativeError(before, ideal.flow(noise, from: 1000, to: last)))
            // The final output is the data prediction there.
            let result = try loop.run()
            let expected = try ideal.posteriorMean(before, step: last)
            // The same data prediction of the same state, computed by the solver's last step and by the
            // network directly: one step's roundings.
            #expect(try relativeError(result, expected) <= samplerTolerance(steps: 1))
        }
        print("DPM-Solver++ vs exact ODE before the last step, 10/20/40/80 steps: \(errors)")
        // Second order: about 4x smaller for twice the steps.
        #expect(zip(errors, errors.dropFirst()).allSatisfy { $0 > 2.5 * $1 })
        #expect(errors[3] < 1e-3)
    }
}
