import Foundation
import Testing
import Torch
@testable import Diffusion

@Suite("Noise schedule")
struct ScheduleTests {
    let schedule: NoiseSchedule

    init() throws { schedule = try NoiseSchedule.stableDiffusion() }

    @Test("betas, alpha-bar and 1 - alpha-bar equal the authors' float64 tables bit for bit")
    func tablesMatchAuthors() throws {
        #expect(schedule.count == 1000)
        #expect(schedule.betas == (try Refs.array("schedule.betas", Double.self)))
        #expect(schedule.alphaBar == (try Refs.array("schedule.alpha_bar", Double.self)))
        #expect(schedule.oneMinusAlphaBar == (try Refs.array("schedule.one_minus_alpha_bar", Double.self)))
        #expect(schedule.alphaBar[0] == 1 && schedule.oneMinusAlphaBar[0] == 0)
        // The authors' summation differs from 1 - abar in the last bits somewhere: we follow theirs.
        let plain = schedule.alphaBar.map { 1 - $0 }
        #expect(plain != schedule.oneMinusAlphaBar)
    }

    @Test("float32 q_sample coefficients equal the authors' casts")
    func coefficientsMatchAuthors() throws {
        #expect(schedule.signalCoefficients == (try Refs.array("schedule.signal_f32", Float.self)))
        #expect(schedule.noiseCoefficients == (try Refs.array("schedule.noise_f32", Float.self)))
    }

    @Test("q_sample and the time condition reproduce the authors' noisy batch exactly", arguments: ["loss2.", "loss3."])
    func qSampleMatchesAuthors(prefix: String) throws {
        let x0 = try Refs.tensor(prefix + "x0"), noise = try Refs.tensor(prefix + "noise")
        let steps = try Refs.tensor(prefix + "timesteps")
        let xn = try schedule.qSample(x0: x0, noise: noise, timesteps: steps)
        #expect(try identical(xn, Refs.tensor(prefix + "xn")))
        #expect(try identical(NoiseSchedule.timeCondition(steps), Refs.tensor(prefix + "log_snr")))
    }

    @Test("time condition is n / 1000 * 8 - 4")
    func timeCondition() throws {
        #expect(NoiseSchedule.timeCondition(time: 1000) == 4)
        #expect(NoiseSchedule.timeCondition(time: 0) == -4)
        #expect(NoiseSchedule.timeCondition(time: 500) == 0)
        let values = try NoiseSchedule.timeCondition(Tensor([Int64(1), 250, 1000])).toArray(Float.self)
        #expect(values == [Float(1) / 1000 * 8 - 4, -2, 4])
    }

    @Test("q_sample rejects steps outside 1...N and mismatched shapes")
    func qSampleValidation() throws {
        let x = try Tensor.zeros([2, 1, 2, 2])
        for bad in [Int64(0), 1001] {
            #expect(throws: TorchError.self) { try schedule.qSample(x0: x, noise: x, timesteps: Tensor([1, bad])) }
        }
        #expect(throws: TorchError.self) { try schedule.qSample(x0: x, noise: Tensor.zeros([2, 1, 2, 3]), timesteps: Tensor([Int64(1), 2])) }
        #expect(throws: TorchError.self) { try schedule.qSample(x0: x, noise: x, timesteps: Tensor([Int64(1)])) }
    }

    @Test("drawn steps cover 1...N uniformly and follow the generator")
    func sampledSteps() throws {
        let steps = try schedule.sampleTimesteps(20_000, generator: Generator(seed: 5)).toArray(Int64.self)
        #expect(steps.min() == 1 && steps.max() == 1000)
        let mean = Double(steps.reduce(0, +)) / Double(steps.count)
        #expect(abs(mean - 500.5) < 10)
        let again = try schedule.sampleTimesteps(20_000, generator: Generator(seed: 5)).toArray(Int64.self)
        #expect(steps == again)
    }

    @Test("the continuous-time view matches the authors' NoiseScheduleVP on every probe")
    func interpolatedScheduleMatchesAuthors() throws {
        let vp = try InterpolatedVPSchedule(schedule)
        let probes = try Refs.array("vp.t", Float.self)
        let logMean = try Refs.array("vp.log_mean_coeff", Float.self)
        let std = try Refs.array("vp.std", Float.self), alpha = try Refs.array("vp.alpha", Float.self)
        let lambda = try Refs.array("vp.lambda", Float.self)
        for (i, t) in probes.enumerated() {
            #expect(vp.logMeanCoefficient(t) == logMean[i], "log alpha at t = \(t)")
            #expect(try vp.sigma(t) == std[i], "sigma at t = \(t)")
            #expect(try vp.alpha(t) == alpha[i], "alpha at t = \(t)")
            #expect(try vp.lambda(t) == lambda[i], "lambda at t = \(t)")
        }
        let lambdaIn = try Refs.array("vp.lambda_in", Float.self)
        let inverse = try Refs.array("vp.inverse_lambda", Float.self)
        for (l, expected) in zip(lambdaIn, inverse) {
            #expect(vp.inverseLambda(l) == expected, "inverse lambda at \(l)")
        }
    }

    @Test("knots sit at t = n / N and carry log sqrt(abar_n)")
    func knotsAreDiscreteSteps() throws {
        let vp = try InterpolatedVPSchedule(schedule)
        #expect(vp.knotTimes.count == 1000 && vp.knotTimes.last == 1)
        for n in [1, 10, 500, 1000] {
            let expected = 0.5 * log(schedule.alphaBar[n])
            #expect(abs(Double(vp.knotLogAlphas[n - 1]) - expected) < 1e-5 * max(1, abs(expected)))
        }
        // lambda is decreasing in t and inverseLambda undoes it.
        let t: [Float] = [0.001, 0.2, 0.5, 0.9, 1]
        let lambdas = try t.map { try vp.lambda($0) }
        #expect(zip(lambdas, lambdas.dropFirst()).allSatisfy { $0 > $1 })
        for (time, l) in zip(t, lambdas) { #expect(abs(vp.inverseLambda(l) - time) < 1e-4) }
    }
}
