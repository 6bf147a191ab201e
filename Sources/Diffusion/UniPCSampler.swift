import Foundation
import Torch

/// UniPC (Zhao et al. 2023): a multistep predictor (UniP) with a corrector (UniC) that reuses the
/// next step's network call, in the data-prediction form with `B(h) = e^-h - 1` ("bh2").
///
/// As diffusers' `UniPCMultistepScheduler(solver_type="bh2", predict_x0=True, lower_order_final=True,
/// final_sigmas_type="zero")`. With `alpha_n = sqrt(abar_n)`, `sigma_n = sqrt(1 - abar_n)`,
/// `lambda = log(alpha / sigma)`, `h = lambda_next - lambda_n` and `x0_n` the data prediction at step n,
/// the predictor of order p moves
/// `x_next = (sigma_next / sigma_n) x - alpha_next (e^-h - 1) (x0_n + sum_k rho_k (x0_{n-k} - x0_n) / r_k)`,
/// `r_k = (lambda_{n-k} - lambda_n) / h`, with the weights `rho` solving UniPC's order conditions
/// (`rho = 1/2` at order 2); the corrector redoes the step with the data prediction at the
/// predicted point as one more node. Orders warm up from 1 and fall back to `min(order, steps left)`
/// at the end; the last step goes to sigma = 0 and returns the last data prediction. One network
/// call per step.
public struct UniPCSampler: Sampler {
    /// The discrete schedule.
    public let schedule: NoiseSchedule
    /// The steps n visited, decreasing from N.
    public let timesteps: [Int]
    /// How `timesteps` were chosen.
    public let spacing: TimestepSpacing
    /// The predictor's order p, 2 or 3 (the corrector raises the order of accuracy to p + 1).
    public let order: Int

    /// UniPC-bh2 of `order` (2 or 3) with `steps` denoiser calls, log-SNR spaced by default.
    /// - Throws: `TorchError` for an order other than 2 or 3 or a step count outside 1...N.
    public init(schedule: NoiseSchedule, steps: Int, order: Int = 2, spacing: TimestepSpacing = .logSNR) throws {
        guard order == 2 || order == 3 else { throw TorchError("UniPC supports order 2 or 3, got \(order)") }
        guard steps >= 1, steps <= schedule.count else {
            throw TorchError("UniPC needs 1...\(schedule.count) steps, got \(steps)")
        }
        self.schedule = schedule
        self.order = order
        self.spacing = spacing
        self.timesteps = spacing.timesteps(count: steps, schedule: schedule)
    }

    /// `UniPC (bh2, order p, spacing)`.
    public var name: String { "UniPC (bh2, order \(order), \(spacing.displayName))" }
    /// One step per timestep.
    public var stepCount: Int { timesteps.count }
    /// One denoiser call per step: the corrector reuses the next step's call.
    public var denoiserCalls: Int { timesteps.count }
    /// The steps n, one call at each.
    public var callTimes: [Float] { timesteps.map(Float.init) }

    /// Starts the loop from `noise` at step N.
    public func makeLoop(predictor: any NoisePredictor, noise: Tensor, imageIndices: Range<Int>) throws -> DenoisingLoop {
        DenoisingLoop(state: UniPCState(schedule: schedule, timesteps: timesteps, order: order, predictor: predictor),
                      noise: noise, predictor: predictor)
    }
}

final class UniPCState: SolverState {
    let schedule: NoiseSchedule
    let timesteps: [Int]
    let order: Int
    let predictor: any NoisePredictor
    /// Data predictions of the latest steps (newest last) with their half log-SNR.
    private var history: [(x0: Tensor, lambda: Double)] = []
    /// The sample the last predictor started from, and that predictor's order.
    private var lastStart: (sample: Tensor, order: Int)?

    init(schedule: NoiseSchedule, timesteps: [Int], order: Int, predictor: any NoisePredictor) {
        self.schedule = schedule
        self.timesteps = timesteps
        self.order = order
        self.predictor = predictor
    }

    var stepCount: Int { timesteps.count }

    private func lambda(_ n: Int) -> Double { log(schedule.signal(n)) - log(schedule.noise(n)) }

    func advance(_ index: Int, _ predicted: Tensor) throws -> (sample: Tensor, time: Double) {
        let n = timesteps[index]
        let eps = try predictor.predictNoise(predicted, time: Float(n))
        let x0 = try (predicted - (eps * schedule.noise(n))) / schedule.signal(n)
        // The last step goes to sigma = 0: the result is x0 whatever the corrector would give.
        guard index + 1 < timesteps.count else { return (x0, 0) }
        var x = predicted
        if let lastStart, let previous = history.last {
            x = try correct(start: lastStart.sample, from: timesteps[index - 1], to: n, order: lastStart.order,
                            x0Here: x0, newest: previous)
        }
        history.append((x0, lambda(n)))
        if history.count > order { history.removeFirst() }
        let stepOrder = min(order, timesteps.count - index, index + 1)
        lastStart = (x, stepOrder)
        let m = timesteps[index + 1]
        return (try predict(from: x, n: n, m: m, order: stepOrder), Double(m))
    }

    /// UniP of `order` from `x` at step n to step m, from the newest `order` data predictions.
    private func predict(from x: Tensor, n: Int, m: Int, order: Int) throws -> Tensor {
        guard let newest = history.last else { throw TorchError("UniPC: no data prediction to step from") }
        let h = lambda(m) - newest.lambda
        let older = Array(history.dropLast().suffix(order - 1).reversed())      // x0_{n-1}, x0_{n-2}, ...
        let ratios = older.map { ($0.lambda - newest.lambda) / h }
        let weights: [Double]
        switch order {
        case 1: weights = []
        case 2: weights = [0.5]
        default: weights = try Self.solve(Self.conditions(ratios: ratios + [1], h: h, size: order - 1))
        }
        return try update(x, from: n, to: m, x0: newest.x0, older: older.map(\.x0), ratios: ratios,
                          weights: weights, h: h)
    }

    /// UniC: redoes the step of `order` from `start` at step `previousStep` (data prediction `newest`)
    /// to step n with `x0Here`, the data prediction at the predicted point, as an extra node.
    private func correct(start: Tensor, from previousStep: Int, to n: Int, order: Int, x0Here: Tensor,
                         newest: (x0: Tensor, lambda: Double)) throws -> Tensor {
        let h = lambda(n) - newest.lambda
        let older = Array(history.dropLast().suffix(order - 1).reversed())
        let ratios = older.map { ($0.lambda - newest.lambda) / h }
        let weights = order == 1 ? [0.5] : try Self.solve(Self.conditions(ratios: ratios + [1], h: h, size: order))
        return try update(start, from: previousStep, to: n, x0: newest.x0, older: older.map(\.x0) + [x0Here],
                          ratios: ratios + [1], weights: weights, h: h)
    }

    /// `(sigma_m / sigma_n) x - alpha_m (e^-h - 1) (x0 + sum_k w_k (older_k - x0) / r_k)`.
    private func update(_ x: Tensor, from n: Int, to m: Int, x0: Tensor, older: [Tensor], ratios: [Double],
                        weights: [Double], h: Double) throws -> Tensor {
        let decay = schedule.signal(m) * expm1(-h)                                // alpha_m B(h), B(h) = e^-h - 1
        var next = try (x * (schedule.noise(m) / schedule.noise(n))) - (x0 * decay)
        for (k, weight) in weights.enumerated() {
            let slope = try (older[k] - x0) * (1 / ratios[k])
            next = try next - (slope * (decay * weight))
        }
        return next
    }

    /// The first `size` order conditions `sum_k r_k^(i-1) rho_k = b_i` (i = 1...size) as (R, b): the
    /// right-hand sides come from UniPC's recursion on `phi_k(-h)`, divided by `B(h) = e^-h - 1`.
    static func conditions(ratios: [Double], h: Double, size: Int) -> (matrix: [[Double]], rhs: [Double]) {
        let hh = -h
        var phi = expm1(hh) / hh - 1
        var factorial = 1.0
        var matrix: [[Double]] = [], rhs: [Double] = []
        for i in 1...size {
            matrix.append(ratios.prefix(size).map { r in (0..<(i - 1)).reduce(1.0) { power, _ in power * r } })
            rhs.append(phi * factorial / expm1(hh))
            factorial *= Double(i + 1)
            phi = phi / hh - 1 / factorial
        }
        return (matrix, rhs)
    }

    /// Solves a small linear system by Gaussian elimination with partial pivoting.
    static func solve(_ system: (matrix: [[Double]], rhs: [Double])) throws -> [Double] {
        var a = system.matrix, b = system.rhs
        let n = b.count
        for column in 0..<n {
            guard let pivot = (column..<n).max(by: { abs(a[$0][column]) < abs(a[$1][column]) }),
                  abs(a[pivot][column]) > 0 else {
                throw TorchError("UniPC: singular order conditions (repeated log-SNR)")
            }
            a.swapAt(column, pivot)
            b.swapAt(column, pivot)
            for row in (column + 1)..<n {
                let factor = a[row][column] / a[column][column]
                for k in column..<n { a[row][k] -= factor * a[column][k] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            let known = ((row + 1)..<n).reduce(0.0) { $0 + a[row][$1] * x[$1] }
            x[row] = (b[row] - known) / a[row][row]
        }
        return x
    }
}
