import Diffusion
import Torch

/// A noise predictor that passes calls through and remembers the last call, to preview the x0 prediction.
///
/// The x0 prediction of a call at time t (0...1000) on sample x with predicted noise eps is
/// `(x - sigma_t eps) / alpha_t`, with alpha and sigma of the continuous-time schedule at t / 1000 (the
/// authors' DPM-Solver's; within one schedule step of the discrete schedule the other samplers use: a preview).
final class PreviewRecorder: NoisePredictor {
    private let inner: any NoisePredictor
    private let schedule: InterpolatedVPSchedule
    private var last: (x: Tensor, eps: Tensor, time: Float)?

    init(_ inner: any NoisePredictor, schedule: InterpolatedVPSchedule) {
        self.inner = inner
        self.schedule = schedule
    }

    var networkEvaluations: Int { inner.networkEvaluations }

    func predictNoise(_ x: Tensor, time t: Float) throws -> Tensor {
        let eps = try inner.predictNoise(x, time: t)
        last = (x, eps, t)
        return eps
    }

    /// The x0 prediction (B, C, H, W) of the last call, nil before the first.
    func lastPrediction() throws -> Tensor? {
        guard let last else { return nil }
        let t = last.time / Float(NoiseSchedule.timeScale)
        let alpha = try schedule.alpha(t), sigma = try schedule.sigma(t)
        return try withNoGrad { try (last.x - last.eps * Double(sigma)) * Double(1 / alpha) }
    }
}
