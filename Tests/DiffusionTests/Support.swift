import Foundation
import Testing
import TestSupport
import Torch
@testable import Diffusion

/// The folder holding this target's reference files.
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Numbers from the authors' code and diffusers, written by scripts/refs/diffusion_refs.py.
enum Refs {
    static let file = Result { try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("diffusion_refs.safetensors").path) }

    /// The reference tensor `name`.
    static func tensor(_ name: String) throws -> Tensor { try file.get().tensor(name) }

    /// The reference `name` as Swift values of its own type.
    static func array<T: TensorScalar>(_ name: String, _ type: T.Type = T.self) throws -> [T] {
        try tensor(name).toArray(T.self)
    }

    /// The null class of the analytic networks.
    static let nullClass = 10
}

/// Checks `actual` against the reference `name`: same shape and max |actual - ref| / max |ref| <= `tolerance`;
/// returns the error.
@discardableResult
func expectMatches(_ actual: Tensor, _ name: String, tolerance: Double,
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> Double {
    let expected = try Refs.tensor(name)
    #expect(actual.shape == expected.shape, "\(name): shape \(actual.shape), reference \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return .infinity }
    let error = try actual.relativeError(to: expected)
    #expect(error <= tolerance, "\(name): relative error \(error) > \(tolerance)", sourceLocation: sourceLocation)
    return error
}

/// The tolerance of a sampler run of `steps` steps on the analytic networks, relative to the sample.
///
/// Each step rounds about 20 times per element: the analytic network's output (sigmoid and a blend,
/// 8), the guidance combination (3), the float32 step coefficients (4, computed from float64 or float32
/// schedules) and the update itself (up to 5 for a multistep or third-order combination). A step maps an earlier error to one of
/// at most the same size relative to the sample (the coefficients of the previous state are at most 1
/// in the data-prediction form, and the linear networks here do not amplify), so errors add up over
/// the steps: 20 roundings per step.
func samplerTolerance(steps: Int) -> Double { Float32Tolerance.depth(20 * steps) }

/// Whether two tensors hold the same shape, dtype and bytes.
func identical(_ a: Tensor, _ b: Tensor) throws -> Bool {
    guard a.shape == b.shape, a.dtype == b.dtype else { return false }
    return try a.bytes() == b.bytes()
}

/// The analytic network of the reference script: `eps = x * g + bias[y] * (1 - g)`,
/// `g = sigmoid(2 log_snr)`, plus `avg_pool(eps, r) * r * 0.9` copies at lower resolutions.
final class AnalyticNetwork: DenoisingNetwork {
    let bias: Tensor
    let levels: Int
    /// (batch size, log-SNR values, classes) of every call.
    private(set) var calls: [(batch: Int, logSNR: [Float], classes: [Int64])] = []
    /// Throw on this call (1-based), to test error paths.
    var failOnCall: Int?

    init(bias: Tensor, levels: Int = 1) {
        self.bias = bias
        self.levels = levels
    }

    func predict(_ x: Tensor, logSNR: Tensor, classes: Tensor) throws -> [Tensor] {
        calls.append((x.size(0), try logSNR.toArray(Float.self), try classes.toArray(Int64.self)))
        if let failOnCall, calls.count == failOnCall { throw TorchError("network failed on purpose") }
        let g = try (logSNR * 2).sigmoid().view([-1, 1, 1, 1])                              // (B, 1, 1, 1)
        let full = try (x * g) + (bias.indexSelect(dim: 0, index: classes) * (1.0 - g))   // (B, C, H, W)
        var outputs = [full]
        for level in 1..<max(levels, 1) {
            let r = 1 << level
            outputs.insert(try (full.avgPool2d(kernel: [r, r]) * Double(r)) * 0.9, at: 0)
        }
        return outputs
    }
}

/// The exact noise predictor for data x0 ~ N(mean, std^2 I): `eps = sigma (x - alpha mean) / (alpha^2 std^2 + sigma^2)`,
/// with alpha at the network's time (recovered from log_snr) interpolated in log space between steps.
final class GaussianIdealNetwork: DenoisingNetwork {
    let mean: Double, std: Double
    private let logAlpha: [Double]   // 0.5 log(abar_n), n = 0...N

    init(schedule: NoiseSchedule, mean: Double, std: Double) {
        self.mean = mean
        self.std = std
        logAlpha = schedule.alphaBar.map { 0.5 * log($0) }
    }

    /// alpha at the continuous step n.
    func alpha(step n: Double) -> Double {
        let k = min(max(Int(n.rounded(.down)), 0), logAlpha.count - 2)
        return exp(logAlpha[k] + (n - Double(k)) * (logAlpha[k + 1] - logAlpha[k]))
    }

    /// The exact probability-flow ODE map from step `from` to step `to` (0 = data).
    func flow(_ x: Tensor, from: Double, to: Double) throws -> Tensor {
        let (a0, a1) = (alpha(step: from), to == 0 ? 1 : alpha(step: to))
        let (spread0, spread1) = ((a0 * a0 * std * std + 1 - a0 * a0).squareRoot(), (a1 * a1 * std * std + 1 - a1 * a1).squareRoot())
        return try ((x - a0 * mean) * (spread1 / spread0)) + a1 * mean
    }

    /// E[x0 | x at step n].
    func posteriorMean(_ x: Tensor, step n: Double) throws -> Tensor {
        let a = alpha(step: n)
        return try ((x - a * mean) * (a * std * std / (a * a * std * std + 1 - a * a))) + mean
    }

    func predict(_ x: Tensor, logSNR: Tensor, classes: Tensor) throws -> [Tensor] {
        let steps = try logSNR.toArray(Float.self).map { (Double($0) + 4) / 8 * 1000 }
        var scale = [Float](), shift = [Float]()
        for n in steps {
            let a = alpha(step: n), sigma = (1 - a * a).squareRoot()
            let denominator = a * a * std * std + sigma * sigma
            scale.append(Float(sigma / denominator))
            shift.append(Float(-sigma * a * mean / denominator))
        }
        let b = x.size(0)
        return [try (x * Tensor(scale, shape: [b, 1, 1, 1])) + Tensor(shift, shape: [b, 1, 1, 1])]
    }
}

/// max |a - b| / max |b|.
func relativeError(_ a: Tensor, _ b: Tensor) throws -> Double { try a.relativeError(to: b) }
