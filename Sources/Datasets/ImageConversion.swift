import Torch

/// Conversions between model tensors in [-1, 1] and 8-bit images.
public enum ImageConversion {
    /// (N, C, H, W) floats in [-1, 1] to uint8 (N, C, H, W), the way the DiMR authors save samples.
    ///
    /// Their `unpreprocess` maps to [0, 1] as `clamp(0.5 * (x + 1), 0, 1)` and torchvision's
    /// `save_image` then takes `uint8(clamp(v * 255 + 0.5, 0, 255))` (rounding half up), all in float32.
    public static func toUInt8(_ images: Tensor) throws -> Tensor {
        guard images.rank == 4 else { throw DatasetError("expected images of shape (N, C, H, W), got \(images.shape)") }
        let unit = try ((images.to(.float32) + 1) * 0.5).clamp(min: 0, max: 1)
        return try (unit * 255 + 0.5).clamp(min: 0, max: 255).to(.uint8)
    }

    /// (N, C, H, W) floats in [-1, 1] to uint8 (N, H, W, C), the layout of the ADM evaluation suite's `arr_0`.
    ///
    /// With `rgb` true, gray images (C = 1) are repeated to three channels, as the suite's Inception network expects.
    public static func toUInt8NHWC(_ images: Tensor, rgb: Bool = false) throws -> Tensor {
        var bytes = try toUInt8(images)
        if rgb, bytes.size(1) == 1 { bytes = try bytes.expand([-1, 3, -1, -1]) }
        return try bytes.permute([0, 2, 3, 1]).contiguous()
    }

    /// uint8 (N, C, H, W) or (N, H, W, C) bytes back to float32 in [-1, 1] as `byte / 127.5 - 1`.
    public static func fromUInt8(_ bytes: Tensor) throws -> Tensor {
        try bytes.to(.float32) / 127.5 - 1
    }
}
