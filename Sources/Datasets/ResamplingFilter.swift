/// A resampling kernel of PIL's `Image.resize`, for ``RasterImage/resized(width:height:filter:maxPixels:)``.
public enum ResamplingFilter: String, Sendable, Equatable, CaseIterable {
    /// PIL's `Image.BOX`: each output pixel averages the input pixels its footprint covers (support 0.5).
    case box
    /// PIL's `Image.BICUBIC`: Keys' cubic convolution with a = -0.5 (support 2).
    case bicubic

    /// Half-width of the kernel in input pixels before scaling by the reduction factor.
    var support: Double {
        switch self {
        case .box: 0.5
        case .bicubic: 2.0
        }
    }

    /// The kernel at distance `x` (in kernel units), with the operations in PIL's order so the
    /// double result is the same bit for bit.
    @inline(__always)
    func weight(_ x: Double) -> Double {
        switch self {
        case .box:
            return x > -0.5 && x <= 0.5 ? 1.0 : 0.0
        case .bicubic:
            // a = -0.5: (a + 2) = 1.5, (a + 3) = 2.5, both exact in binary.
            let t = x < 0.0 ? -x : x
            if t < 1.0 { return ((1.5 * t - 2.5) * t) * t + 1 }
            if t < 2.0 { return (((t - 5) * t + 8) * t - 4) * -0.5 }
            return 0.0
        }
    }
}
