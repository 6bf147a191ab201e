import Foundation
import Testing
import TestSupport
import Torch
@testable import Diffusion

@Suite("Guidance interval")
struct GuidanceIntervalTests {
    let schedule: NoiseSchedule

    init() throws { schedule = try NoiseSchedule.stableDiffusion() }

    /// Every guidance rule, and those that run an unconditional pass.
    static let rules: [Guidance] = [.none, .constant(scale: 0.4), .decayed(scale: 1.5, power: 1)]
    static let guidedRules: [Guidance] = [.constant(scale: 0.4), .decayed(scale: 1.5, power: 1)]

    @Test("guidance applies for low < t <= high, and the ends convert to sigma")
    func containment() throws {
        let interval = try GuidanceInterval(low: 200, high: 800, schedule: schedule)
        #expect(!interval.contains(time: 200) && interval.contains(time: Float(200).nextUp))
        #expect(interval.contains(time: 800) && !interval.contains(time: Float(800).nextUp))
        #expect(!interval.contains(time: 0) && !interval.contains(time: 1000))
        // At integer steps sigma is sqrt((1 - abar_n) / abar_n) of the schedule's float64 tables.
        for (t, sigma) in [(200.0, interval.sigmas.low), (800.0, interval.sigmas.high)] {
            let abar = schedule.alphaBar[Int(t)]
            #expect(abs(sigma - ((1 - abar) / abar).squareRoot()) <= 1e-12 * sigma)
        }
        #expect(GuidanceInterval.sigma(atTime: 0, schedule: schedule) == 0)
        // Increasing in t, between the neighbouring steps' values at a fraction.
        let between = GuidanceInterval.sigma(atTime: 500.5, schedule: schedule)
        #expect(between > GuidanceInterval.sigma(atTime: 500, schedule: schedule)
                && between < GuidanceInterval.sigma(atTime: 501, schedule: schedule))
        #expect(interval.description.contains("t in (200, 800]") && interval.description.contains("sigma in ("))
    }

    @Test("bad intervals are refused with what is wrong",
          arguments: ["", "500", "1,2,3", "a,b", "nan,500", "100,inf", "-1,500", "100,1001", "600,400", "300,300"])
    func badIntervals(text: String) throws {
        #expect(throws: TorchError.self) { try GuidanceInterval(parsing: text, schedule: schedule) }
    }

    @Test("LOW,HIGH parses with spaces and decimals")
    func parsing() throws {
        let interval = try GuidanceInterval(parsing: " 0 , 437.5", schedule: schedule)
        #expect(interval.low == 0 && interval.high == 437.5)
        #expect(try GuidanceInterval(parsing: "0,1000", schedule: schedule).high == 1000)
    }

    @Test("the unconditional pass runs only inside the interval; each side equals the plain denoiser",
          arguments: rules)
    func denoiserSides(rule: Guidance) throws {
        let bias = try Tensor.randn([11, 4, 8, 8], generator: Generator(seed: 31)) * 0.5
        let x = try Tensor.randn([3, 4, 8, 8], generator: Generator(seed: 32))
        let classes = try Tensor([Int64(1), 4, 9])
        let interval = try GuidanceInterval(low: 300, high: 700, schedule: schedule)
        let network = AnalyticNetwork(bias: bias)
        let limited = try GuidedDenoiser(network: network, classes: classes, nullClass: 10, guidance: rule,
                                         guidanceInterval: interval)
        let plain = try GuidedDenoiser(network: AnalyticNetwork(bias: bias), classes: classes, nullClass: 10, guidance: rule)
        let unguided = try GuidedDenoiser(network: AnalyticNetwork(bias: bias), classes: classes, nullClass: 10)
        let guidedCase = rule != .none
        var expectedEvaluations = 0
        for t: Float in [1000, 701, 700, 500, 300.5, 300, 42, 1] {
            let inside = interval.contains(time: t)
            let expected = try (inside ? plain : unguided).predictNoise(x, time: t)
            let actual = try limited.predictNoise(x, time: t)
            // Same network, same batch rows, same operations: identical bytes.
            #expect(try identical(actual, expected), "t = \(t), rule \(rule)")
            let call = try #require(network.calls.last)
            let guidedHere = inside && guidedCase
            #expect(call.batch == (guidedHere ? 6 : 3), "t = \(t): batch \(call.batch)")
            #expect(call.classes == (guidedHere ? [1, 4, 9, 10, 10, 10] : [1, 4, 9]))
            #expect(limited.passes(atTime: t) == (guidedHere ? 2 : 1) && limited.isGuided(atTime: t) == guidedHere)
            expectedEvaluations += guidedHere ? 2 : 1
        }
        #expect(network.calls.count == 8 && limited.forwardCalls == 8)
        #expect(limited.networkEvaluations == expectedEvaluations)
        // The null class reaches the network only inside the interval.
        #expect(network.calls.filter { $0.classes.contains(10) }.count == (guidedCase ? 3 : 0))
    }

    /// Samplers of every kind with the times their calls make.
    func samplers() throws -> [any Sampler] {
        [try AuthorsDPMSolver(schedule: schedule, steps: 10), try DPMSolverPlusPlus(schedule: schedule, steps: 10),
         try DDIMSampler(schedule: schedule, steps: 10), try UniPCSampler(schedule: schedule, steps: 10, order: 3),
         try DPMSolverPlusPlusSDE(schedule: schedule, steps: 10, seed: 3)]
    }

    @Test("a sampling run guides exactly the calls inside the interval and reports the evaluations it made",
          arguments: guidedRules)
    func samplingRun(rule: Guidance) throws {
        let bias = try Tensor.randn([11, 4, 8, 8], generator: Generator(seed: 33)) * 0.5
        let noise = try InitialNoise.make(seed: 4, indices: 0..<2, shape: [4, 8, 8])
        let classes = try Tensor([Int64(2), 6])
        let interval = try GuidanceInterval(low: 250, high: 750, schedule: schedule)
        for sampler in try samplers() {
            let network = AnalyticNetwork(bias: bias)
            let loop = try sampler.loop(network: network, noise: noise, classes: classes, nullClass: 10,
                                        guidance: rule, guidanceInterval: interval)
            _ = try loop.run()
            // The sampler's declared call times are the times the network saw, in order.
            #expect(network.calls.map { $0.logSNR[0] } == sampler.callTimes.map { NoiseSchedule.timeCondition(time: $0) },
                    "\(sampler.name)")
            let inside = sampler.callTimes.map { interval.contains(time: $0) }
            #expect(inside.contains(true) && inside.contains(false), "\(sampler.name): the interval should split the run")
            #expect(network.calls.map(\.batch) == inside.map { $0 ? 4 : 2 }, "\(sampler.name)")
            let summary = sampler.summary(guidance: rule, interval: interval)
            let guided = inside.filter { $0 }.count
            #expect(summary.guidedCalls == guided)
            #expect(summary.networkEvaluationsPerImage == sampler.denoiserCalls + guided)
            #expect(loop.networkEvaluations == summary.networkEvaluationsPerImage)
            #expect(summary.networkEvaluationsPerImage < sampler.summary(guidance: rule).networkEvaluationsPerImage)
            #expect(summary.description.contains("guided on \(guided) of \(sampler.denoiserCalls) denoiser calls"))
            #expect(summary.description.contains("sigma in ("))
        }
    }

    @Test("an interval covering every call gives the plain guided run, one outside every call the unguided run",
          arguments: guidedRules)
    func wholeAndEmptyIntervals(rule: Guidance) throws {
        let bias = try Tensor.randn([11, 4, 8, 8], generator: Generator(seed: 34)) * 0.5
        let noise = try InitialNoise.make(seed: 5, indices: 0..<2, shape: [4, 8, 8])
        let classes = try Tensor([Int64(3), 8])
        let everything = try GuidanceInterval(low: 0, high: 1000, schedule: schedule)
        let nothing = try GuidanceInterval(low: 0, high: 0.5, schedule: schedule)   // below every call time
        for sampler in try samplers() {
            func run(_ guidance: Guidance, _ interval: GuidanceInterval?) throws -> Tensor {
                try sampler.sample(network: AnalyticNetwork(bias: bias), noise: noise, classes: classes, nullClass: 10,
                                   guidance: guidance, guidanceInterval: interval)
            }
            #expect(try identical(run(rule, everything), run(rule, nil)), "\(sampler.name)")
            #expect(try identical(run(rule, nothing), run(.none, nil)), "\(sampler.name)")
            #expect(sampler.summary(guidance: rule, interval: nothing).networkEvaluationsPerImage == sampler.denoiserCalls)
        }
    }
}
