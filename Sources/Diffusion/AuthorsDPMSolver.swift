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

    /// The `steps + 1` time points from T to eps (float32 `linspace`).
    public func timePoints() throws -> [Float] {
        try Tensor.linspace(startTime, endTime, steps: steps + 1, dtype: .float32).toArray(Float.self)
    }

    /// Starts the loop from `noise` at time T.
    public func makeLoop(predictor: any NoisePredictor, noise: Tensor) throws -> DenoisingLoop {
        let state = AuthorsFastState(vp: vp, points: try timePoints(), orders: orders, predictor: predictor)
        return DenoisingLoop(state: state, noise: noise, passesPerCall: predictor.passesPerCall)
    }
}

/// The `fast` walk over the time points, one singlestep update per entry of `orders`.
final class AuthorsFastState: SolverState {
    let vp: InterpolatedVPSchedule
    let points: [Float]
    let orders: [Int]
    let predictor: any NoisePredictor
    private var position = 0

    init(vp: InterpolatedVPSchedule, points: [Float], orders: [Int], predictor: any NoisePredictor) {
        self.vp = vp
        self.points = points
        self.orders = orders
        self.predictor = predictor
    }

    var stepCount: Int { orders.count }

    func advance(_ index: Int, _ x: Tensor) throws -> (sample: Tensor, time: Double, calls: Int) {
        let order = orders[index]
        let i = position
        let s = points[i], t = points[i + order]
        let lambdaS = try vp.lambda(s)
        let h = try vp.lambda(t) - lambdaS
        let next: Tensor
        switch order {
        case 1:
            next = try firstOrder(x, s: s, t: t)
        case 2:
            let r1 = (try vp.lambda(points[i + 1]) - lambdaS) / h
            next = try secondOrder(x, s: s, t: t, r1: r1)
        default:
            let r1 = (try vp.lambda(points[i + 1]) - lambdaS) / h
            let r2 = (try vp.lambda(points[i + 2]) - lambdaS) / h
            next = try thirdOrder(x, s: s, t: t, r1: r1, r2: r2)
        }
        position += order
        return (next, Double(t * 1000), order)
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

    private func secondOrder(_ x: Tensor, s: Float, t: Float, r1: Float) throws -> Tensor {
        let ps = try Point(vp, s), pt = try Point(vp, t)
        let h = pt.lambda - ps.lambda
        let s1 = vp.inverseLambda(ps.lambda + r1 * h)
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

    private func thirdOrder(_ x: Tensor, s: Float, t: Float, r1: Float, r2: Float) throws -> Tensor {
        let ps = try Point(vp, s), pt = try Point(vp, t)
        let h = pt.lambda - ps.lambda
        let s1 = vp.inverseLambda(ps.lambda + r1 * h)
        let s2 = vp.inverseLambda(ps.lambda + r2 * h)
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
