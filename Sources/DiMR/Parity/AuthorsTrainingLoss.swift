import Foundation
import Torch

/// The authors' training loss (`LSimple` with `multi_scale_targets`), computed here for the parity check.
///
/// TEMPORARY: DiMR cannot see the Diffusion target (they are siblings), so the parity check carries this
/// small copy of the schedule and loss. When the parity runner moves where both are visible, use
/// `Diffusion.NoiseSchedule` / `Diffusion.MultiScaleLoss` instead and delete this file.
enum AuthorsTrainingLoss {
    /// alpha-bar_n for n = 0...1000 of the scaled-linear schedule (betas = linspace(sqrt 0.00085, sqrt 0.012)^2),
    /// in float64, with alpha-bar_0 = 1.
    static let alphaBar: [Double] = {
        let count = 1000
        let start = 0.00085.squareRoot(), end = 0.0120.squareRoot()
        let step = (end - start) / Double(count - 1)
        var out = [1.0]
        var product = 1.0
        for i in 0..<count {
            // torch.linspace in float64 fills the first half from the start and the second half from the end.
            let root = i < count / 2 ? start + step * Double(i) : end - step * Double(count - 1 - i)
            product *= 1 - root * root
            out.append(product)
        }
        return out
    }()

    /// The noised images x_n = sqrt(abar_n) x0 + sqrt(1 - abar_n) noise (coefficients float64, then float32)
    /// and the network's time condition log_snr = n / 1000 * 8 - 4 (float32 arithmetic).
    static func noised(x0: Tensor, noise: Tensor, timesteps: Tensor) throws -> (xn: Tensor, logSNR: Tensor) {
        let steps: [Int64] = try timesteps.toArray()
        guard steps.allSatisfy({ (1...1000).contains($0) }) else {
            throw DiMRError("timesteps must lie in 1...1000, got \(steps)")
        }
        let signal = try Tensor(steps.map { Float(alphaBar[Int($0)].squareRoot()) }).view([-1, 1, 1, 1])
        let noiseScale = try Tensor(steps.map { Float((1 - alphaBar[Int($0)]).squareRoot()) }).view([-1, 1, 1, 1])
        let xn = try signal * x0 + noiseScale * noise  // (B, C, H, W)
        let logSNR = try timesteps.to(.float32) / 1000 * 8 - 4  // (B)
        return (xn, logSNR)
    }

    /// Targets at ratios 2^l, l < levels, keyed by side: depthwise r x r window sums of the noise divided by r.
    static func targets(noise: Tensor, levels: Int) throws -> [Int: Tensor] {
        let channels = noise.size(1)
        var out: [Int: Tensor] = [noise.size(-1): noise]
        for level in 1..<max(levels, 1) {
            let ratio = 1 << level
            guard noise.size(2) % ratio == 0, noise.size(3) % ratio == 0 else {
                throw DiMRError("a \(noise.size(2))x\(noise.size(3)) image has no 1/\(ratio) target")
            }
            let kernel = try Tensor.ones([channels, 1, ratio, ratio]) / Double(ratio)
            let pooled = try noise.conv2d(weight: kernel, stride: [ratio, ratio], groups: channels)  // (B, C, H/r, W/r)
            out[pooled.size(-1)] = pooled
        }
        return out
    }

    /// Per-sample loss (B): sum over outputs of coefficient * mean over (C, H, W) of (prediction - target)^2.
    static func perSample(predictions: [Tensor], targets: [Int: Tensor], coefficients: [Double]) throws -> Tensor {
        guard predictions.count == coefficients.count, !predictions.isEmpty else {
            throw DiMRError("\(predictions.count) predictions for \(coefficients.count) loss coefficients")
        }
        var loss: Tensor?
        for (prediction, coefficient) in zip(predictions, coefficients) {
            guard let target = targets[prediction.size(-1)], target.shape == prediction.shape else {
                throw DiMRError("no target of shape \(prediction.shape)")
            }
            let term = try (prediction - target).pow(2).flatten(start: 1).mean(dims: [-1]) * coefficient  // (B)
            loss = try loss.map { try $0 + term } ?? term
        }
        guard let loss else { throw DiMRError("no predictions") }
        return loss
    }
}
