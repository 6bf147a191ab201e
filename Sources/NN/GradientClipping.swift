import Torch

/// Scales the gradients of `parameters` in place so that their joint L2 norm is at most `maxNorm`,
/// as `torch.nn.utils.clip_grad_norm_`; parameters without a gradient are skipped. Returns the
/// total norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Double) throws -> Double {
    precondition(maxNorm >= 0, "maxNorm must be non-negative, got \(maxNorm)")
    return try Tensor.clipGradNorm_(parameters.compactMap(\.grad), maxNorm: maxNorm)
}
