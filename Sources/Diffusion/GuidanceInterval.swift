import Foundation
import Torch

/// Guidance limited to an interval of noise levels (Kynkäänniemi et al. 2024, "Applying Guidance in
/// a Limited Interval Improves Sample and Distribution Quality in Diffusion Models").
///
/// The interval is on the authors' time scale, `t` in 0...1000 (0 = clean, 1000 = pure noise), the
/// scale of the network's time condition and of the decayed guidance rule. As in the paper, which
/// guides for `sigma` in `(sigma_lo, sigma_hi]`, a denoiser call at time `t` is guided when
/// `low < t <= high`; outside, the guidance rule is not applied and the unconditional pass is not
/// run. `sigmas` gives the same interval as the noise-to-signal ratio `sigma = sqrt((1 - abar) / abar)`
/// (EDM's sigma, the paper's scale) of the schedule it was built with.
public struct GuidanceInterval: Sendable, Equatable, CustomStringConvertible {
    /// Lower end on the 0...1000 time scale (excluded).
    public let low: Double
    /// Upper end on the 0...1000 time scale (included).
    public let high: Double
    /// `(low, high)` as `sigma = sqrt((1 - abar_t) / abar_t)` of the schedule.
    public let sigmas: (low: Double, high: Double)

    /// The interval `(low, high]` of times on the 0...1000 scale of `schedule`.
    /// - Throws: `TorchError` unless both ends are finite and `0 <= low < high <= 1000`.
    public init(low: Double, high: Double, schedule: NoiseSchedule) throws {
        let top = NoiseSchedule.timeScale
        guard low.isFinite, high.isFinite else {
            throw TorchError("the guidance interval's ends must be finite numbers, got \(format(low)),\(format(high))")
        }
        guard low >= 0, high <= top else {
            throw TorchError("the guidance interval must lie within the time range 0...\(Int(top)), got \(format(low)),\(format(high))")
        }
        guard low < high else {
            throw TorchError("the guidance interval needs LOW < HIGH, got \(format(low)),\(format(high))")
        }
        self.low = low
        self.high = high
        self.sigmas = (Self.sigma(atTime: low, schedule: schedule), Self.sigma(atTime: high, schedule: schedule))
    }

    /// Parses `LOW,HIGH` (two numbers on the 0...1000 time scale).
    /// - Throws: `TorchError` naming what is wrong with the text or the values.
    public init(parsing text: String, schedule: NoiseSchedule) throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else {
            throw TorchError("expected LOW,HIGH (two times in 0...1000), got \"\(text)\"")
        }
        guard let low = Double(parts[0]), let high = Double(parts[1]) else {
            throw TorchError("expected two numbers LOW,HIGH, got \"\(text)\"")
        }
        try self.init(low: low, high: high, schedule: schedule)
    }

    /// Whether a denoiser call at time `t` (0...1000) is guided: `low < t <= high`.
    public func contains(time t: Float) -> Bool {
        Double(t) > low && Double(t) <= high
    }

    /// `sqrt((1 - abar_t) / abar_t)` at time `t` in 0...1000, with `log(abar)` linear between the
    /// schedule's integer steps and `abar_0 = 1` (sigma 0 at t = 0).
    public static func sigma(atTime t: Double, schedule: NoiseSchedule) -> Double {
        let steps = Double(schedule.count) * t / NoiseSchedule.timeScale
        let k = min(max(Int(steps.rounded(.down)), 0), schedule.count - 1)
        let fraction = min(max(steps - Double(k), 0), 1)
        let logAlphaBar = (1 - fraction) * log(schedule.alphaBar[k]) + fraction * log(schedule.alphaBar[k + 1])
        return (-expm1(logAlphaBar)).squareRoot() / exp(0.5 * logAlphaBar)
    }

    /// `t in (low, high] (sigma in (.., ..])`.
    public var description: String {
        "t in (\(format(low)), \(format(high))] (sigma in (\(String(format: "%.4g", sigmas.low)), \(String(format: "%.4g", sigmas.high))])"
    }

    /// Same ends, in t and in sigma.
    public static func == (a: GuidanceInterval, b: GuidanceInterval) -> Bool {
        a.low == b.low && a.high == b.high && a.sigmas == b.sigmas
    }
}
