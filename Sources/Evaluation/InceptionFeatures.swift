import Torch

/// What the FID Inception-v3 computes for a batch of N images (see `FIDInceptionV3`).
public struct InceptionFeatures: @unchecked Sendable {
    /// pool3 features (N, 2048), the FID's and precision/recall's features.
    public let pool: Tensor
    /// Logits (N, 1008) without the fc bias, as the ADM evaluator's Inception Score takes them.
    public let logits: Tensor
    /// sFID features (N, 2023): `mixed_6/conv`'s first 7 channels, 17 x 17, in (H, W, C) order.
    public let spatial: Tensor
}
