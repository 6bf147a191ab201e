import CTorch

// Fused optimizer kernels of CTorch (the NN area's AdamW and gradient clipping build on these).
extension Tensor {
    /// One AdamW update of `parameter` in place, operation by operation as `torch.optim.AdamW`
    /// (single-tensor path); `step` is the post-increment count (1 on the first update).
    ///
    /// `expAvg` and `expAvgSq` are updated in place; all four tensors must share shape and device.
    public static func adamwStep(parameter: Tensor, gradient: Tensor, expAvg: Tensor, expAvgSq: Tensor,
                                 learningRate: Double, beta1: Double, beta2: Double, eps: Double,
                                 weightDecay: Double, step: Int) throws {
        precondition(step >= 1, "AdamW step count must be at least 1, got \(step)")
        try withExtendedLifetime((parameter, gradient, expAvg, expAvgSq)) {
            try check(ct_adamw_step(parameter.handle, gradient.handle, expAvg.handle, expAvgSq.handle,
                                    learningRate, beta1, beta2, eps, weightDecay, Int64(step)))
        }
    }

    /// Scales `gradients` in place so their joint L2 norm is at most `maxNorm`, as
    /// `torch.nn.utils.clip_grad_norm_`; returns the norm before clipping.
    @discardableResult
    public static func clipGradNorm_(_ gradients: [Tensor], maxNorm: Double) throws -> Double {
        var total = 0.0
        try check(withHandles(gradients) { ct_clip_grad_norm($0, $1, maxNorm, &total) })
        return total
    }
}
