import Foundation
import Testing
import TestSupport
import Torch
@testable import Diffusion

@Suite("Guidance")
struct GuidanceTests {
    /// A network whose output is the class index everywhere, so cond and uncond are known.
    final class ClassNetwork: DenoisingNetwork {
        private(set) var batches: [(size: Int, classes: [Int64], logSNR: [Float])] = []

        func predict(_ x: Tensor, logSNR: Tensor, classes: Tensor) throws -> [Tensor] {
            batches.append((x.size(0), try classes.toArray(Int64.self), try logSNR.toArray(Float.self)))
            let value = try classes.to(.float32).view([-1, 1, 1, 1])
            return [try Tensor.zeros([x.size(0), 1, 1, 1]), try (x * 0) + value]
        }
    }

    @Test("conditional and unconditional passes share one batched forward")
    func oneBatchedForward() throws {
        let network = ClassNetwork()
        let denoiser = try GuidedDenoiser(network: network, classes: Tensor([Int64(2), 5, 7]), nullClass: 10,
                                          guidance: .constant(scale: 0.4))
        let x = try Tensor.zeros([3, 1, 2, 2])
        _ = try denoiser.predictNoise(x, time: 250)
        #expect(network.batches.count == 1 && denoiser.forwardCalls == 1)
        let batch = try #require(network.batches.first)
        #expect(batch.size == 6 && batch.classes == [2, 5, 7, 10, 10, 10])
        #expect(batch.logSNR.allSatisfy { $0 == -2 })
        #expect(denoiser.passes(atTime: 250) == 2 && denoiser.networkEvaluations == 2)
    }

    @Test("constant rule: cond + s (cond - uncond)")
    func constantRule() throws {
        let denoiser = try GuidedDenoiser(network: ClassNetwork(), classes: Tensor([Int64(2), 5]), nullClass: 10,
                                          guidance: .constant(scale: 0.4))
        let eps = try denoiser.predictNoise(Tensor.zeros([2, 1, 2, 2]), time: 600).toArray(Float.self)
        let expected: [Float] = [2, 5].map { c in c + Float(0.4) * (c - 10) }
        #expect(eps == expected.flatMap { [Float](repeating: $0, count: 4) })
        #expect(try Guidance.constant(scale: 0.4).standardScale(atTime: 123) == 1.4)
    }

    @Test("decayed rule: uncond + s(t) (cond - uncond), s from 1 at t = 1000 to the scale at t = 0",
          arguments: [(Float(1000), 1.0), (0, 2.0), (500, 3.0), (250, 1.0)])
    func decayedRule(time: Float, power: Double) throws {
        let scale = 3.0
        let weight = Double(try Guidance.decayed(scale: scale, power: power).standardScale(atTime: time))
        let expected = (scale - 1) * (1 - cos(Double.pi * pow(1 - Double(time) / 1000, power))) / 2 + 1
        // float32 against float64: t / 1000, 1 - ., pow (4), * pi, cos (4), 1 - ., * (scale - 1), / 2,
        // + 1: 14 roundings, each relative to a value of at most `scale` (absolute, since 1 - cos cancels).
        let weightTolerance = Float32Tolerance.gamma(14) * scale
        #expect(abs(weight - expected) <= weightTolerance, "s(\(time)) = \(weight), expected \(expected)")
        let denoiser = try GuidedDenoiser(network: ClassNetwork(), classes: Tensor([Int64(4)]), nullClass: 9,
                                          guidance: .decayed(scale: scale, power: power))
        let eps = try denoiser.predictNoise(Tensor.zeros([1, 1, 1, 1]), time: time).item()
        // uncond + s (cond - uncond) = 9 + s (4 - 9): the weight's error times 5, and 3 roundings of values up to 24.
        #expect(abs(eps - (9 + weight * (4 - 9))) <= 5 * weightTolerance + Float32Tolerance.gamma(3) * 24)
    }

    @Test("decay endpoints are exact")
    func decayEndpoints() throws {
        let rule = Guidance.decayed(scale: 1.5, power: 1)
        #expect(try rule.standardScale(atTime: 1000) == 1)
        #expect(try rule.standardScale(atTime: 0) == 1.5)
        #expect(try Guidance.none.standardScale(atTime: 0) == 1)
    }

    @Test("no guidance makes one conditional pass of B")
    func noGuidance() throws {
        let network = ClassNetwork()
        let denoiser = try GuidedDenoiser(network: network, classes: Tensor([Int64(3)]), nullClass: 9)
        let eps = try denoiser.predictNoise(Tensor.zeros([1, 1, 1, 1]), time: 10).item()
        #expect(eps == 3 && network.batches.first?.size == 1 && denoiser.passes(atTime: 10) == 1 && denoiser.networkEvaluations == 1)
    }

    @Test("the authors' flags map to rules, and bad settings are rejected")
    func settings() throws {
        #expect(Guidance(authorsScale: 0.4, power: -1) == .constant(scale: 0.4))
        #expect(Guidance(authorsScale: 1.5, power: 1) == .decayed(scale: 1.5, power: 1))
        #expect(Guidance(authorsScale: 0, power: -1) == Guidance.none)
        #expect(Guidance(authorsScale: 1.5, power: 0) == Guidance.none)
        #expect(throws: TorchError.self) { try Guidance.decayed(scale: 0.5, power: 1).validate() }
        #expect(throws: TorchError.self) { try Guidance.decayed(scale: 2, power: 0).validate() }
        #expect(throws: TorchError.self) {
            try GuidedDenoiser(network: ClassNetwork(), classes: Tensor([Int64(1)]), nullClass: 9,
                               guidance: .decayed(scale: 2, power: -3))
        }
        let denoiser = try GuidedDenoiser(network: ClassNetwork(), classes: Tensor([Int64(1), 2]), nullClass: 9)
        #expect(throws: TorchError.self) { try denoiser.predictNoise(Tensor.zeros([3, 1, 1, 1]), time: 1) }
    }

    @Test("summaries state the rule, the equivalent scale and the cost per image")
    func summaries() throws {
        let schedule = try NoiseSchedule.stableDiffusion()
        let solver = try AuthorsDPMSolver(schedule: schedule, steps: 12)
        let guided = solver.summary(guidance: .constant(scale: 0.4))
        #expect(guided.networkEvaluationsPerImage == 24 && guided.denoiserCalls == 12 && guided.solverSteps == 5)
        #expect(guided.description.contains("standard scale 1.4"))
        #expect(guided.description.contains("24"))
        #expect(solver.summary(guidance: .none).networkEvaluationsPerImage == 12)
        let decayed = try DDIMSampler(schedule: schedule, steps: 10).summary(guidance: .decayed(scale: 1.5, power: 1))
        #expect(decayed.networkEvaluationsPerImage == 20)
        #expect(decayed.description.contains("to 1.5 at t = 0"))
        #expect(try DPMSolverPlusPlus(schedule: schedule, steps: 20).summary(guidance: .none).description.contains("DPM-Solver++"))
    }
}
