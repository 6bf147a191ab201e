/// Which Pillow's order of the two separable passes ``RasterImage/resized(width:height:filter:order:maxPixels:)``
/// follows; the 8-bit intermediate image makes the order visible in the last bit of some pixels.
public enum ResamplingPassOrder: String, Sendable, Equatable, CaseIterable {
    /// Always the horizontal pass first: Pillow 4 to 12, the versions DiMR's authors ran (2024).
    case horizontalFirst
    /// Pillow 13 and later: the vertical pass first when the height shrinks by more than twice as
    /// many pixels as the width (`inH - outH > 0` and `inH - outH > 2 * (inW - outW)`), else horizontal.
    case pillow13

    /// Whether a `inWidth` x `inHeight` -> `outWidth` x `outHeight` resize runs the vertical pass first.
    func verticalFirst(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int) -> Bool {
        guard self == .pillow13 else { return false }
        let shrinkY = inHeight - outHeight, shrinkX = inWidth - outWidth
        // Sides are array dimensions and sizes >= 1, so the differences do not overflow; twice a
        // huge width difference might, and then it exceeds any height difference.
        let (twiceX, overflow) = shrinkX.multipliedReportingOverflow(by: 2)
        return shrinkY > 0 && !overflow && shrinkY > twiceX
    }
}
