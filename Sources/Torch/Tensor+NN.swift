import CTorch

/// How a loss is reduced over the batch (PyTorch's codes).
public enum Reduction: Int32, Sendable {
    case none = 0, mean = 1, sum = 2
}

/// Interpolation modes of `Tensor.interpolate`.
public enum InterpolationMode: Sendable {
    /// Averages over the source area of each output pixel (`mode="area"`).
    case area
    /// Nearest neighbour.
    case nearest
    /// Bilinear, with the given corner alignment.
    case bilinear(alignCorners: Bool)
}

// Functional neural-network operations, as in `torch.nn.functional`.
extension Tensor {
    /// `x @ other` with NumPy broadcasting.
    public func matmul(_ other: Tensor) throws -> Tensor {
        try withExtendedLifetime(other) { try wrap(ct_matmul(handle, other.handle)) }
    }

    /// Batched matrix product of (B, n, m) and (B, m, p).
    public func bmm(_ other: Tensor) throws -> Tensor {
        try withExtendedLifetime(other) { try wrap(ct_bmm(handle, other.handle)) }
    }

    /// `beta * input + alpha * (b1 @ b2)` batched, as `torch.baddbmm`.
    public static func baddbmm(_ input: Tensor, _ b1: Tensor, _ b2: Tensor, beta: Double = 1, alpha: Double = 1) throws -> Tensor {
        try withExtendedLifetime((input, b1, b2)) { try wrap(ct_baddbmm(input.handle, b1.handle, b2.handle, beta, alpha)) }
    }

    /// `x @ weight^T + bias`, as `F.linear`.
    public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try withExtendedLifetime((weight, bias)) { try wrap(ct_linear(handle, weight.handle, bias?.handle)) }
    }

    /// 2-D convolution of an (N, C, H, W) input.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1, 1], padding: [Int] = [0, 0],
                       dilation: [Int] = [1, 1], groups: Int = 1) throws -> Tensor {
        precondition(stride.count == 2 && padding.count == 2 && dilation.count == 2, "conv2d takes 2-element stride, padding, dilation")
        return try withExtendedLifetime((weight, bias)) {
            try withInt64s(stride) { s, _ in
                try withInt64s(padding) { p, _ in
                    try withInt64s(dilation) { d, _ in
                        try wrap(ct_conv2d(handle, weight.handle, bias?.handle, s, p, d, Int64(groups)))
                    }
                }
            }
        }
    }

    /// 2-D transposed convolution of an (N, C, H, W) input.
    public func convTranspose2d(weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1, 1], padding: [Int] = [0, 0],
                                outputPadding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1) throws -> Tensor {
        precondition(stride.count == 2 && padding.count == 2 && outputPadding.count == 2 && dilation.count == 2,
                     "convTranspose2d takes 2-element stride, padding, outputPadding, dilation")
        return try withExtendedLifetime((weight, bias)) {
            try withInt64s(stride) { s, _ in
                try withInt64s(padding) { p, _ in
                    try withInt64s(outputPadding) { op, _ in
                        try withInt64s(dilation) { d, _ in
                            try wrap(ct_conv_transpose2d(handle, weight.handle, bias?.handle, s, p, op, d, Int64(groups)))
                        }
                    }
                }
            }
        }
    }

    /// Average pooling over (N, C, H, W).
    public func avgPool2d(kernel: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0]) throws -> Tensor {
        let stride = stride ?? kernel
        precondition(kernel.count == 2 && stride.count == 2 && padding.count == 2, "avgPool2d takes 2-element sizes")
        return try withInt64s(kernel) { k, _ in
            try withInt64s(stride) { s, _ in
                try withInt64s(padding) { p, _ in try wrap(ct_avg_pool2d(handle, k, s, p)) }
            }
        }
    }

    /// Resizes the spatial dimensions of (N, C, H, W) to `size`, as `F.interpolate`.
    public func interpolate(size: (height: Int, width: Int), mode: InterpolationMode) throws -> Tensor {
        let h = Int64(size.height), w = Int64(size.width)
        switch mode {
        case .area: return try wrap(ct_adaptive_avg_pool2d(handle, h, w))
        case .nearest: return try wrap(ct_upsample_nearest2d(handle, h, w))
        case .bilinear(let align): return try wrap(ct_upsample_bilinear2d(handle, h, w, align ? 1 : 0))
        }
    }

    /// Layer normalisation over the trailing `normalizedShape` dimensions.
    public func layerNorm(_ normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws -> Tensor {
        try withExtendedLifetime((weight, bias)) {
            try withInt64s(normalizedShape) { try wrap(ct_layer_norm(handle, $0, $1, weight?.handle, bias?.handle, eps)) }
        }
    }

    /// Group normalisation of (N, C, ...) with `groups` channel groups.
    public func groupNorm(groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws -> Tensor {
        try withExtendedLifetime((weight, bias)) {
            try wrap(ct_group_norm(handle, Int64(groups), weight?.handle, bias?.handle, eps))
        }
    }

    /// Rows of the (num, dim) table `weight` picked by `indices`.
    public static func embedding(_ weight: Tensor, indices: Tensor) throws -> Tensor {
        try withExtendedLifetime((weight, indices)) { try wrap(ct_embedding(weight.handle, indices.handle)) }
    }

    /// softmax(q k^T * scale + mask) v over (..., L, E) tensors, as `F.scaled_dot_product_attention`.
    public static func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
                                                 dropout: Double = 0, causal: Bool = false, scale: Double? = nil) throws -> Tensor {
        try withExtendedLifetime((query, key, value, mask)) {
            try wrap(ct_sdpa(query.handle, key.handle, value.handle, mask?.handle, dropout, causal ? 1 : 0,
                             scale == nil ? 0 : 1, scale ?? 0))
        }
    }

    /// Cross-entropy of logits (N, C) against class indices (N), as `F.cross_entropy`.
    public func crossEntropy(target: Tensor, reduction: Reduction = .mean, ignoreIndex: Int = -100,
                             labelSmoothing: Double = 0) throws -> Tensor {
        try withExtendedLifetime(target) {
            try wrap(ct_cross_entropy(handle, target.handle, reduction.rawValue, Int64(ignoreIndex), labelSmoothing))
        }
    }

    /// Mean squared error against `target`.
    public func mseLoss(_ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try withExtendedLifetime(target) { try wrap(ct_mse_loss(handle, target.handle, reduction.rawValue)) }
    }

    /// Zeroes elements with probability `p` and rescales the rest, when `training`.
    public func dropout(_ p: Double, training: Bool) throws -> Tensor {
        try wrap(ct_dropout(handle, p, training ? 1 : 0))
    }
}
