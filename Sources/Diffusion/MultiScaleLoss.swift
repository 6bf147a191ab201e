import Torch

/// The multi-resolution noise targets and the per-sample loss of DiMR's cascade.
public enum MultiScaleLoss {
    /// The authors' loss weights for `levels` outputs, lowest resolution first: `[..., 1/16, 1/4, 1]`.
    public static func defaultCoefficients(levels: Int) -> [Double] {
        precondition(levels >= 1, "need at least one output level")
        return (0..<levels).map { level in 1 / Double(1 << (2 * (levels - 1 - level))) }
    }

    /// Targets for ratios `r = 2^l`, l in 0..<levels, keyed by side length.
    ///
    /// For an even side: depthwise r x r average pooling with stride r, times r (the scale
    /// correction divides the window sum by r instead of r^2). For an odd side (H - 1 divisible by
    /// r): an (r + 1) x (r + 1) window, stride r, padding (r + 1) / 2, sum divided by r + 1.
    /// - Parameter noise: the noise (B, C, H, W) at full resolution; it is the ratio-1 target.
    public static func targets(noise: Tensor, levels: Int, scaleCorrection: Bool = true) throws -> [Int: Tensor] {
        guard noise.rank == 4 else { throw TorchError("multi-scale targets need (B, C, H, W) noise, got \(noise.shape)") }
        guard levels >= 1 else { throw TorchError("multi-scale targets need at least one level, got \(levels)") }
        let channels = noise.size(1), height = noise.size(2), width = noise.size(3)
        let odd = height % 2 != 0
        var out: [Int: Tensor] = [width: noise]
        for level in 1..<levels {
            let ratio = 1 << level
            let kernelSize = odd ? ratio + 1 : ratio
            guard (odd ? (height - 1) % ratio == 0 && (width - 1) % ratio == 0 : height % ratio == 0 && width % ratio == 0) else {
                throw TorchError("a \(height)x\(width) image has no 1/\(ratio) resolution target")
            }
            let scale = scaleCorrection ? kernelSize : kernelSize * kernelSize
            let kernel = try Tensor.ones([channels, 1, kernelSize, kernelSize], device: noise.device) / Double(scale)
            let padding = odd ? kernelSize / 2 : 0
            let pooled = try noise.conv2d(weight: kernel, stride: [ratio, ratio], padding: [padding, padding],
                                          groups: channels)   // (B, C, H / r, W / r)
            out[pooled.size(3)] = pooled
        }
        return out
    }

    /// Per-sample loss `sum_i coefficient_i * mean_{C,H,W} (prediction_i - target)^2`, each prediction
    /// matched with the target of its side length.
    /// - Returns: (B).
    public static func perSample(predictions: [Tensor], targets: [Int: Tensor], coefficients: [Double]) throws -> Tensor {
        guard !predictions.isEmpty else { throw TorchError("the network returned no predictions") }
        guard predictions.count == coefficients.count else {
            throw TorchError("\(predictions.count) predictions but \(coefficients.count) loss coefficients")
        }
        var loss: Tensor?
        for (prediction, coefficient) in zip(predictions, coefficients) {
            let side = prediction.size(-1)
            guard let target = targets[side] else {
                throw TorchError("no target of side \(side) (targets: \(targets.keys.sorted()))")
            }
            guard target.shape == prediction.shape else {
                throw TorchError("prediction \(prediction.shape) does not match its target \(target.shape)")
            }
            let meanSquare = try (prediction - target).pow(2).flatten(start: 1).mean(dims: [-1])   // (B)
            let term = try meanSquare * coefficient
            loss = try loss.map { try $0 + term } ?? term
        }
        guard let loss else { throw TorchError("the network returned no predictions") }
        return loss
    }
}
