/// The fixed-point weights of one resampling pass (one axis), computed as Pillow's `Resample.c` does.
///
/// Output sample `i` is `clip((2^21 + sum_t input[start[i] + t] * weights[i * taps + t]) >> 22)` for
/// `t < count[i]`: 22 fractional bits, rounding by the half added up front, clipping to 0...255.
///
/// Why the result is the same on every CPU: the only floating-point steps are here, and each is
/// one IEEE-754 double operation (+, -, *, / correctly rounded, no fused multiply-add: Swift does not
/// contract, and Pillow's x86-64 wheels target a baseline without FMA), done in Pillow's order, so
/// the doubles and the integers truncated from them are identical everywhere. Everything after is
/// integer arithmetic: 32-bit sums that wrap like C's `int` but never reach 2^31 (255 * sum |weight|
/// stays far below it; `ResizeTests.testFixedPointSumsFitIn32Bits`), and since wrapping addition is
/// associative the taps may be added in any order. (Pillow built for a CPU whose compiler fuses `a * b + c`, e.g. some arm64
/// builds, may round a coefficient differently; the fixtures come from x86-64 Pillow.)
struct ResamplingCoefficients {
    /// Fractional bits of the weights: Pillow's `PRECISION_BITS` (32 - 8 - 2).
    static let precisionBits: Int32 = 22

    /// Weights stored per output sample (Pillow's `ksize`); entries past `count[i]` are zero.
    let taps: Int
    /// First input index each output sample reads.
    let start: [Int]
    /// Number of input samples each output sample reads (1...taps).
    let count: [Int]
    /// `outSize * taps` weights with `precisionBits` fractional bits.
    let weights: [Int32]

    /// Weights for resampling `inSize` samples to `outSize` (both >= 1) with `filter`.
    ///
    /// The filter is widened by the reduction factor when shrinking (antialiasing); input pixel `j`
    /// has its centre at `j + 0.5`, output pixel `i` at `(i + 0.5) * inSize / outSize`.
    init(inSize: Int, outSize: Int, filter: ResamplingFilter) {
        precondition(inSize >= 1 && outSize >= 1, "resampling sizes must be positive, got \(inSize) -> \(outSize)")
        // Pillow passes the source box as C floats: (double)(float(inSize) - 0.0f) / outSize.
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterScale = scale < 1.0 ? 1.0 : scale
        let support = filter.support * filterScale
        // support = s * max(inSize / outSize, 1) with s <= 2, so outSize * taps is at most
        // 4 * inSize + 5 * outSize: the weight table is as small as the images.
        let taps = Int(support.rounded(.up)) * 2 + 1
        let inverseScale = 1.0 / filterScale
        let one = Double(1 << Self.precisionBits)

        var start = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * taps)
        var raw = [Double](repeating: 0, count: taps)
        for i in 0..<outSize {
            let center = (Double(i) + 0.5) * scale
            // C's (int) casts truncate toward zero; Int(_: Double) does the same.
            let low = max(Int(center - support + 0.5), 0)
            let high = min(Int(center + support + 0.5), inSize)
            let n = high - low
            precondition(n >= 1 && n <= taps, "resampling window of \(n) taps outside 1...\(taps)")
            var sum = 0.0
            for t in 0..<n {
                let w = filter.weight((Double(t + low) - center + 0.5) * inverseScale)
                raw[t] = w
                sum += w
            }
            for t in 0..<n {
                let k = sum != 0.0 ? raw[t] / sum : raw[t]
                // |k| < 2 (the window always holds the tap nearest the centre, with a large positive
                // weight), so the truncated value fits in Int32.
                weights[i * taps + t] = k < 0 ? Int32(-0.5 + k * one) : Int32(0.5 + k * one)
            }
            start[i] = low
            count[i] = n
        }
        self.taps = taps
        self.start = start
        self.count = count
        self.weights = weights
    }

    /// The first input index any output sample reads, and one past the last.
    var inputRange: Range<Int> {
        guard let first = start.first, let lastStart = start.last, let lastCount = count.last else { return 0..<0 }
        return first..<(lastStart + lastCount)
    }

    /// `(2^21 + sum) >> 22` clipped to a byte (Pillow's `clip8`).
    @inline(__always)
    static func clip(_ sum: Int32) -> UInt8 {
        let v = sum >> precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    /// The starting value of every sum: one half in fixed point.
    static let half: Int32 = 1 << (precisionBits - 1)
}
