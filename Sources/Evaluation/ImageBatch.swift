import Torch

/// Conversions of image batches between the layouts feature networks and files use.
public enum ImageBatch {
    /// uint8 images (N, H, W, C) with C = 1 or 3 as floats (N, channels, H, W) in [0, 1]: x / 255 computed in
    /// `dtype` (as torchvision's `ToTensor`), gray repeated to `channels` = 3, RGB refused when `channels` = 1.
    /// - Throws: `EvaluationError` for another rank, dtype or channel count.
    public static func unitRange(_ bytes: Tensor, channels: Int, dtype: DType = .float32) throws -> Tensor {
        precondition(channels == 1 || channels == 3, "feature networks take 1 or 3 channels, not \(channels)")
        guard bytes.dtype == .uint8, bytes.rank == 4, bytes.size(3) == 1 || bytes.size(3) == 3 else {
            throw EvaluationError("images must be uint8 (N, H, W, C) with C = 1 or 3, got \(bytes.dtype) \(bytes.shape)")
        }
        guard bytes.size(3) == channels || bytes.size(3) == 1 else {
            throw EvaluationError("this feature network takes gray images; got \(bytes.size(3)) channels")
        }
        var x = try bytes.permute([0, 3, 1, 2]).to(dtype) / 255                  // (N, C, H, W)
        if x.size(1) != channels { x = try x.expand([x.size(0), channels, x.size(2), x.size(3)]) }
        return try x.contiguous()
    }
}
