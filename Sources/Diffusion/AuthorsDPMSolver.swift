import Torch

/// The DiMR authors' sampler: their DPM-Solver's `fast` method with data prediction.
///
/// Settings as in their train.py/eval.py: order 3, time-uniform points, `eps = 1/1000`, `T = 1`, on
/// the interpolated discrete schedule. This version of `fast` lays `steps + 1` uniform time points
/// from T down to eps and walks them with orders `[3, ..., 3]` followed by `[2, 1]`, `[1]` or `[2]`
/// (so that the orders sum to `steps`); an order-k step spans k intervals, its intermediate
/// ratios r1, r2 come from the half log-SNR of the grid points inside it. The network sees time
/// `t * 1000`. Coefficients are float32, computed in the authors' order.
public struct AuthorsDPMSolver: Sampler {
    /// Denoiser calls per image (the solver's `steps`).
    public let steps: Int
    /// Highest solver order, 2 or 3.
    public let order: Int
    /// Where sampling ends, in (0, 1] (`eps`).
    public let endTime: Double
    /// Where sampling starts (`T`).
    public let startTime: Double
    /// The continuous-time view of the schedule.
    public let vp: InterpolatedVPSchedule
    /// Each solver step's times and ratios.
    private(set) var plan: [AuthorsFastStep] = []

    /// The authors' solver over `schedule` with `steps` denoiser calls.
    public init(schedule: NoiseSchedule, steps: Int, order: Int = 3, endTime: Double = 1.0 / 1000,
                startTime: Double = 1) throws {
        guard steps >= 1 else { throw TorchError("the DPM-Solver needs at least 1 step, got \(steps)") }
        guard order == 2 || order == 3 else { throw TorchError("DPM-Solver-fast supports order 2 or 3, got \(order)") }
        guard endTime > 0, endTime < startTime, startTime <= 1 else {
            throw TorchError("need 0 < eps < T <= 1, got eps \(endTime), T \(startTime)")
        }
        self.steps = steps
        self.order = order
        self.endTime = endTime
        self.startTime = startTime
        self.vp = try InterpolatedVPSchedule(schedule)
        self.plan = try AuthorsFastStep.walk(vp: vp, points: timePoints(), orders: orders)
    }

    /// The order of each solver step: they sum to `steps`.
    public var orders: [Int] {
        if order == 3 {
            let k = steps / 3 + 1
            switch steps % 3 {
            case 0: return [Int](repeating: 3, count: k - 2) + [2, 1]
            case 1: return [Int](repeating: 3, count: k - 1) + [1]
            default: return [Int](repeating: 3, count: k - 1) + [2]
            }
        }
        return [Int](repeating: 2, count: steps / 2) + (steps % 2 == 1 ? [1] : [])
    }

    /// `fast`, order and step count.
    public var name: String { "DPM-Solver (authors' fast, order \(order), time-uniform)" }
    /// One step per entry of `orders`.
    public var stepCount: Int { orders.count }
    /// The solver's `steps`.
    public var denoiserCalls: Int { steps }
    /// Each step's calls at s, s1 (order 2 and 3) and s2 (order 3), times 1000 in float32.
    public var callTimes: [Float] { plan.flatMap { $0.callTimes.map { $0 * 1000 } } }

    /// The `steps + 1` time points from T to eps (float32 `linspace`).
    public func timePoints() throws -> [Float] {
        try Tensor.linspace(startTime, endTime, steps: steps + 1, dtype: .float32).toArray(Float.self)
    }

    /// Starts the loop from `noise` at time T.
    public func makeLoop(predictor: any NoisePredictor, noise: Tensor, imageIndices: Range<Int>) throws -> DenoisingLoop {
        DenoisingLoop(state: AuthorsFastState(vp: vp, plan: plan, predictor: predictor), noise: noise, predictor: predictor)
    }
}

/// One step of `fast`: from `s` to `t` over `order` grid intervals, with the intermediate ratios
/// `r1`, `r2` of the grid points inside it and the times `s1`, `s2` they give.
struct AuthorsFastStep: Sendable {
    let order: Int
    let s: Float, t: Float
    let r1: Float, r2: Float
    let s1: Float, s2: Float

    /// The times (0...1) at which the step calls the denoiser, in order.
    var callTimes: [Float] { Array([s, s1, s2].prefix(order)) }

    /// The steps of the walk over `points` with `orders`, computed in the authors' order.
    static func walk(vp: InterpolatedVPSchedule, points: [Float], orders: [Int]) throws -> [AuthorsFastStep] {
        var position = 0
        return try orders.map { order in
            let i = position
            let s = points[i], t = points[i + order]
            let lambdaS = try vp.lambda(s)
            let h = try vp.lambda(t) - lambdaS
            var r1: Float = 0, r2: Float = 0, s1 = s, s2 = s
            if order >= 2 {
                r1 = (try vp.lambda(points[i + 1]) - lambdaS) / h
                s1 = vp.inverseLambda(lambdaS + r1 * h)
            }
            if order == 3 {
                r2 = (try vp.lambda(points[i + 2]) - lambdaS) / h
                s2 = vp.inverseLambda(lambdaS + r2 * h)
            }
            position += order
            return AuthorsFastStep(order: order, s: s, t: t, r1: r1, r2: r2, s1: s1, s2: s2)
        }
    }
}

/// The `fast` walk over the time points, one singlestep update per planned step.
final class AuthorsFastState: SolverState {
    let vp: InterpolatedVPSchedule
    let plan: [AuthorsFastStep]
    let predictor: any NoisePredictor

    init(vp: InterpolatedVPSchedule, plan: [AuthorsFastStep], predictor: any NoisePredictor) {
        self.vp = vp
        self.plan = plan
        self.predictor = predictor
    }

    var stepCount: Int { plan.count }

    func advance(_ index: Int, _ x: Tensor) throws -> (sample: Tensor, time: Double) {
        let step = plan[index]
        let next: Tensor
        switch step.order {
        case 1: next = try firstOrder(x, s: step.s, t: step.t)
        case 2: next = try secondOrder(x, s: step.s, t: step.t, s1: step.s1, r1: step.r1)
        default: next = try thirdOrder(x, step)
        }
        return (next, Double(step.t * 1000))
    }

    /// x0 = (x - sigma_t eps) / alpha_t, with the network at time t * 1000.
    private func dataPrediction(_ x: Tensor, _ t: Float) throws -> Tensor {
        let alpha = try vp.alpha(t), sigma = try vp.sigma(t)
        let eps = try predictor.predictNoise(x, time: t * 1000)
        return try (x - (eps * Double(sigma))) / Double(alpha)
    }

    /// The time coefficients every update needs.
    private struct Point {
        let lambda: Float, sigma: Float, alpha: Float
        init(_ vp: InterpolatedVPSchedule, _ t: Float) throws {
            lambda = try vp.lambda(t)
            sigma = try vp.sigma(t)
            alpha = try Float32Math.exp(vp.logMeanCoefficient(t))
        }
    }

    private func firstOrder(_ x: Tensor, s: Float, t: Float) throws -> Tensor {
        let ps = try Point(vp, s), pt = try Point(vp, t)
        let h = pt.lambda - ps.lambda
        let phi1 = (try Float32Math.exp(-h) - 1) / -1
        let x0 = try dataPrediction(x, s)
        return try (x * Double(pt.sigma / ps.sigma)) + (x0 * Double(pt.alpha * phi1))
    }

    private func secondOrder(_ x: Tensor, s: Float, t: Float, s1: Float, r1: Float) throws -> Tensor {
        let ps = try Point(vp, s), pt = try Point(vp, t)
        let h = pt.lambda - ps.lambda
        let p1 = try Point(vp, s1)
        let phi11 = try Float32Math.expm1(-r1 * h)
        let phi1 = try Float32Math.expm1(-h)
        let x0 = try dataPrediction(x, s)
        let xS1 = try (x * Double(p1.sigma / ps.sigma)) - (x0 * Double(p1.alpha * phi11))
        let x0S1 = try dataPrediction(xS1, s1)
        let correction = (0.5 / r1) * (pt.alpha * phi1)
        return try ((x * Double(pt.sigma / ps.sigma)) - (x0 * Double(pt.alpha * phi1)))
            - ((x0S1 - x0) * Double(correction))
    }

    private func thirdOrder(_ x: Tensor, _ step: AuthorsFastStep) throws -> Tensor {
        let (s, t, s1, s2, r1, r2) = (step.s, step.t, step.s1, step.s2, step.r1, step.r2)
        let ps = try Point(vp, s), pt = try Point(vp, t)
        let h = pt.lambda - ps.lambda
        let p1 = try Point(vp, s1), p2 = try Point(vp, s2)
        let phi11 = try Float32Math.expm1(-r1 * h)
        let phi12 = try Float32Math.expm1(-r2 * h)
        let phi1 = try Float32Math.expm1(-h)
        let phi22 = (try Float32Math.expm1(-r2 * h)) / (r2 * h) + 1
        let phi2 = phi1 / h + 1
        let x0 = try dataPrediction(x, s)
        let xS1 = try (x * Double(p1.sigma / ps.sigma)) - (x0 * Double(p1.alpha * phi11))
        let x0S1 = try dataPrediction(xS1, s1)
        let ratio = (r2 / r1) * (p2.alpha * phi22)
        let xS2 = try ((x * Double(p2.sigma / ps.sigma)) - (x0 * Double(p2.alpha * phi12)))
            + ((x0S1 - x0) * Double(ratio))
        let x0S2 = try dataPrediction(xS2, s2)
        let correction = (1 / r2) * (pt.alpha * phi2)
        return try ((x * Double(pt.sigma / ps.sigma)) - (x0 * Double(pt.alpha * phi1)))
            + ((x0S2 - x0) * Double(correction))
    }
}
