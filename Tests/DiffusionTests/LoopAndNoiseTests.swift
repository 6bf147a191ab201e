import Foundation
import Testing
import Torch
@testable import Diffusion

@Suite("Denoising loop and per-image noise")
struct LoopAndNoiseTests {
    let schedule: NoiseSchedule

    init() throws { schedule = try NoiseSchedule.stableDiffusion() }

    @Test("per-image noise does not depend on the batching")
    func noiseIndependentOfBatching() throws {
        let whole = try InitialNoise.make(seed: 42, indices: 0..<8, shape: [4, 8, 8])
        #expect(whole.shape == [8, 4, 8, 8])
        let pieces = try (0..<8).map { try InitialNoise.make(seed: 42, indices: $0..<($0 + 1), shape: [4, 8, 8]) }
        #expect(try identical(whole, Tensor.cat(pieces)))
        let tail = try InitialNoise.make(seed: 42, indices: 5..<8, shape: [4, 8, 8])
        #expect(try identical(tail, whole.narrow(dim: 0, start: 5, length: 3)))
        let other = try InitialNoise.make(seed: 43, indices: 0..<8, shape: [4, 8, 8])
        #expect(try !identical(whole, other))
        let seeds = Set((0..<1000).map { InitialNoise.imageSeed(seed: 42, index: $0) })
        #expect(seeds.count == 1000)
        #expect(try !identical(whole.narrow(dim: 0, start: 0, length: 1), whole.narrow(dim: 0, start: 1, length: 1)))
    }

    /// The deterministic samplers with guidance, for batch-independence checks (DPM-Solver++ SDE has its own).
    func samplers() throws -> [(any Sampler, Guidance)] {
        [(try AuthorsDPMSolver(schedule: schedule, steps: 10), .decayed(scale: 1.5, power: 1)),
         (try DPMSolverPlusPlus(schedule: schedule, steps: 10), .constant(scale: 0.4)),
         (try DDIMSampler(schedule: schedule, steps: 10), .none),
         (try UniPCSampler(schedule: schedule, steps: 10, order: 3), .constant(scale: 0.4))]
    }

    @Test("images sampled in a batch of 8 equal those sampled one by one")
    func samplesIndependentOfBatching() throws {
        let bias = try Tensor.randn([11, 4, 8, 8], generator: Generator(seed: 7)) * 0.5
        let classes = (0..<8).map { Int64($0 % 10) }
        for (sampler, guidance) in try samplers() {
            let noise = try InitialNoise.make(seed: 1, indices: 0..<8, shape: [4, 8, 8])
            let batch = try sampler.sample(network: AnalyticNetwork(bias: bias), noise: noise, classes: Tensor(classes),
                                           nullClass: 10, guidance: guidance)
            var worst = 0.0
            for i in 0..<8 {
                let single = try InitialNoise.make(seed: 1, indices: i..<(i + 1), shape: [4, 8, 8])
                #expect(try identical(single, noise.narrow(dim: 0, start: i, length: 1)))
                let image = try sampler.sample(network: AnalyticNetwork(bias: bias), noise: single,
                                               classes: Tensor([classes[i]]), nullClass: 10, guidance: guidance)
                let reference = try batch.narrow(dim: 0, start: i, length: 1)
                worst = max(worst, try image.relativeError(to: reference))
            }
            // Another batch size may take other vector paths (another rounding order): at most the
            // rounding of two sampler runs of 10 steps apart.
            print("\(sampler.name): batch of 8 vs batches of 1, relative difference \(worst)")
            #expect(worst <= samplerTolerance(steps: 10), "\(sampler.name)")
        }
    }

    @Test("the loop is a sequence of steps ending at the one-call result")
    func loopAsSequence() throws {
        let bias = try Tensor.randn([11, 4, 8, 8], generator: Generator(seed: 8))
        let noise = try InitialNoise.make(seed: 2, indices: 0..<2, shape: [4, 8, 8])
        let classes = try Tensor([Int64(1), 2])
        for (sampler, guidance) in try samplers() {
            let loop = try sampler.loop(network: AnalyticNetwork(bias: bias), noise: noise, classes: classes,
                                        nullClass: 10, guidance: guidance)
            #expect(try identical(loop.sample, noise))
            var steps: [DenoisingStep] = []
            for outcome in loop { steps.append(try outcome.get()) }
            #expect(steps.count == sampler.stepCount && loop.isFinished && loop.completedSteps == sampler.stepCount)
            #expect(steps.map(\.index) == Array(0..<sampler.stepCount))
            #expect(zip(steps, steps.dropFirst()).allSatisfy { $0.time > $1.time })
            #expect(steps.last?.networkEvaluations == sampler.summary(guidance: guidance).networkEvaluationsPerImage)
            let direct = try sampler.sample(network: AnalyticNetwork(bias: bias), noise: noise, classes: classes,
                                            nullClass: 10, guidance: guidance)
            #expect(try identical(loop.sample, direct))
            #expect(try loop.step() == nil)
        }
    }

    @Test("a failing network stops the loop with its error")
    func loopErrors() throws {
        let network = AnalyticNetwork(bias: try Tensor.zeros([11, 1, 2, 2]))
        network.failOnCall = 2
        let sampler = try DDIMSampler(schedule: schedule, steps: 5)
        let loop = try sampler.loop(network: network, noise: Tensor.zeros([1, 1, 2, 2]), classes: Tensor([Int64(0)]), nullClass: 10)
        let outcomes = Array(loop)
        #expect(outcomes.count == 2)
        if case .failure(let error) = outcomes.last {
            #expect((error as? TorchError)?.message == "network failed on purpose")
        } else {
            Issue.record("the second step should fail")
        }
        #expect(loop.isFinished && loop.error != nil)
        #expect(throws: TorchError.self) { try loop.run() }
        #expect(throws: TorchError.self) {
            try sampler.sample(network: AnalyticNetwork(bias: Tensor.zeros([11, 1, 2, 2])), noise: Tensor.zeros([1, 1, 2, 2]),
                               classes: Tensor([Int64(0), 1]), nullClass: 10)
        }
    }
}
