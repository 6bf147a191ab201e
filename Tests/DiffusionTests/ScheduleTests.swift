import Foundation
import Testing
import TestSupport
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
        // Both sides take libtorch's float32 kernels for the same ops, so on most CPUs the values are
        // identical; another CPU's vector code may round a log or exp differently. The knots are a
        // cumulative sum of 1000 logs (1000 + 4 roundings, no cancellation) and the interpolation adds 3:
        // log alpha is within 2 gamma_1007 relative. exp and sqrt add 8, and sigma = sqrt(1 - alpha^2)
        // magnifies the error of alpha^2 by alpha^2 / sigma^2 (cancellation near t = 0); lambda =
        // log alpha - log sigma carries the errors of both, relative to |lambda| + |log alpha| magnitudes.
        func close(_ a: Float, _ b: Float, depth: Int, condition: Double = 1) -> Bool {
            Double(abs(a - b)) <= Float32Tolerance.depth(depth, condition: condition) * Double(abs(b))
        }
        for (i, t) in probes.enumerated() {
            let cancellation = Double(alpha[i] * alpha[i] / max(std[i] * std[i], .leastNormalMagnitude))
            #expect(close(vp.logMeanCoefficient(t), logMean[i], depth: 1007), "log alpha at t = \(t)")
            #expect(close(try vp.sigma(t), std[i], depth: 1015, condition: max(1, cancellation)), "sigma at t = \(t)")
            #expect(close(try vp.alpha(t), alpha[i], depth: 1011), "alpha at t = \(t)")
            let lambdaCondition = max(1, cancellation) * Double((abs(logMean[i]) + abs(lambda[i] - logMean[i])) / max(abs(lambda[i]), 1e-3))
            #expect(close(try vp.lambda(t), lambda[i], depth: 1015, condition: max(1, lambdaCondition)), "lambda at t = \(t)")
        }
        let lambdaIn = try Refs.array("vp.lambda_in", Float.self)
        let inverse = try Refs.array("vp.inverse_lambda", Float.self)
        for (l, expected) in zip(lambdaIn, inverse) {
            // -0.5 log(1 + exp(-2 lambda)) (10 roundings) then interpolation between knots (1007).
            #expect(close(vp.inverseLambda(l), expected, depth: 1017), "inverse lambda at \(l)")
        }
    }

    @Test("knots sit at t = n / N and carry log sqrt(abar_n)")
    func knotsAreDiscreteSteps() throws {
        let vp = try InterpolatedVPSchedule(schedule)
        #expect(vp.knotTimes.count == 1000 && vp.knotTimes.last == 1)
        for n in [1, 10, 500, 1000] {
            let expected = 0.5 * log(schedule.alphaBar[n])
            // float32 against float64: 1 - beta_i rounds to within u absolutely (u = 2^-24 near 1), which
            // log turns into an absolute error of u in each of the n terms (halved by the 0.5); the logs and
            // their cumulative sum add n + 4 roundings relative to the result (no cancellation).
            let tolerance = 0.5 * Double(n) * Float32Tolerance.unitRoundoff + Float32Tolerance.gamma(n + 4) * abs(expected)
            #expect(abs(Double(vp.knotLogAlphas[n - 1]) - expected) <= tolerance)
        }
        // lambda is decreasing in t and inverseLambda undoes it.
        let t: [Float] = [0.001, 0.2, 0.5, 0.9, 1]
        let lambdas = try t.map { try vp.lambda($0) }
        #expect(zip(lambdas, lambdas.dropFirst()).allSatisfy { $0 > $1 })
        // lambda carries about 20 roundings of values up to |lambda| + |log alpha|; the inverse maps an
        // error in lambda to one in t through dt/dlambda, estimated from neighbouring points, plus its own
        // interpolation (relative to t).
        for (time, l) in zip(t, lambdas) {
            let (lo, hi) = (max(time - 0.001, 0.0005), min(time + 0.001, 1))
            let slope = Double(hi - lo) / Double(abs(try vp.lambda(lo) - vp.lambda(hi)))
            let tolerance = Float32Tolerance.depth(20) * Double(abs(l) + 8) * slope + Float32Tolerance.depth(1017) * Double(time)
            #expect(Double(abs(vp.inverseLambda(l) - time)) <= tolerance, "t = \(time)")
        }
    }
}
