import CTorch

// Pooling and batch normalisation with all of PyTorch's options, as in `torch.nn.functional`.
extension Tensor {
    /// Max pooling over (N, C, H, W), as `F.max_pool2d`; `stride` defaults to `kernel`.
    public func maxPool2d(kernel: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], dilation: [Int] = [1, 1],
                          ceilMode: Bool = false) throws -> Tensor {
        let stride = stride ?? kernel
        precondition(kernel.count == 2 && stride.count == 2 && padding.count == 2 && dilation.count == 2,
                     "maxPool2d takes 2-element sizes")
        return try withInt64s(kernel) { k, _ in
            try withInt64s(stride) { s, _ in
                try withInt64s(padding) { p, _ in
                    try withInt64s(dilation) { d, _ in try wrap(ct_max_pool2d(handle, k, s, p, d, ceilMode ? 1 : 0)) }
                }
            }
        }
    }

    /// Average pooling over (N, C, H, W) with `F.avg_pool2d`'s `ceil_mode` and `count_include_pad`: with
    /// `countIncludePad` false a window at the border averages only the input pixels it covers.
    public func avgPool2d(kernel: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], ceilMode: Bool = false,
                          countIncludePad: Bool) throws -> Tensor {
        let stride = stride ?? kernel
        precondition(kernel.count == 2 && stride.count == 2 && padding.count == 2, "avgPool2d takes 2-element sizes")
        return try withInt64s(kernel) { k, _ in
            try withInt64s(stride) { s, _ in
                try withInt64s(padding) { p, _ in
                    try wrap(ct_avg_pool2d_ex(handle, k, s, p, ceilMode ? 1 : 0, countIncludePad ? 1 : 0))
                }
            }
        }
    }

    /// Batch normalisation of (N, C, ...) over every dimension but the channels, as `F.batch_norm`.
    ///
    /// In `training` the batch's statistics normalise and the running ones (when given) are updated in
    /// place with `momentum` (the unbiased batch variance enters the running variance); otherwise the
    /// running statistics normalise: `(x - mean) / sqrt(var + eps) * weight + bias`.
    public func batchNorm(runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?, training: Bool,
                          momentum: Double = 0.1, eps: Double = 1e-5) throws -> Tensor {
        try withExtendedLifetime((runningMean, runningVar, weight, bias)) {
            try wrap(ct_batch_norm(handle, weight?.handle, bias?.handle, runningMean?.handle, runningVar?.handle,
                                   training ? 1 : 0, momentum, eps))
        }
    }
}
