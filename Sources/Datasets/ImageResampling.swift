extension RasterImage {
    /// The image resampled to `width` x `height` exactly as PIL's `Image.resize(size, resample=filter)`
    /// does for 8-bit "L" and "RGB" images (Pillow's `Resample.c`), byte for byte.
    ///
    /// Separable: a horizontal pass (only when the width changes) and a vertical pass (only when the
    /// height changes), in the order `order` gives, through an 8-bit intermediate image; the same size
    /// returns a copy. Weights are computed in doubles, normalised, turned into 22-bit fixed point and
    /// summed in 32-bit integers; see ``ResamplingCoefficients`` for why the bytes are the same on every CPU.
    ///
    /// - Parameters:
    ///   - width: output width in pixels (>= 1).
    ///   - height: output height in pixels (>= 1).
    ///   - filter: `.box` or `.bicubic`, widened by the reduction factor when shrinking.
    ///   - order: the pass order of Pillow <= 12 (default, what DiMR's authors ran) or of Pillow 13.
    ///   - maxPixels: the largest width x height accepted for the output and for the intermediate
    ///     image between the passes (default PIL's decompression-bomb limit).
    /// - Returns: a `width` x `height` image with the same channels.
    /// - Throws: `DatasetError` for a size below 1, an output or intermediate image over `maxPixels`,
    ///   or an image with alpha (2 or 4 channels, which PIL premultiplies first; convert with
    ///   ``converted(toChannels:)``). Checked before any work.
    public func resized(width outWidth: Int, height outHeight: Int, filter: ResamplingFilter,
                        order: ResamplingPassOrder = .horizontalFirst,
                        maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> RasterImage {
        guard channels == 1 || channels == 3 else {
            throw DatasetError("resampling needs a gray or RGB image, got \(channels) channels; "
                + "convert it with converted(toChannels:) first")
        }
        guard pixels.count == width * height * channels else {
            throw DatasetError("a \(width)x\(height)x\(channels) image needs \(width * height * channels) bytes, holds \(pixels.count)")
        }
        guard outWidth >= 1, outHeight >= 1 else {
            throw DatasetError("cannot resize a \(width)x\(height) image to \(outWidth)x\(outHeight): sizes must be at least 1")
        }
        guard maxPixels >= 1 else { throw DatasetError("the pixel limit must be at least 1, got \(maxPixels)") }
        func checkPixels(_ w: Int, _ h: Int, _ what: String) throws {
            let (pixels, overflow) = w.multipliedReportingOverflow(by: h)
            guard !overflow, pixels <= maxPixels else {
                throw DatasetError("resizing \(width)x\(height) to \(outWidth)x\(outHeight) needs \(what) of "
                    + "\(w)x\(h) pixels, more than the limit of \(maxPixels)")
            }
        }
        try checkPixels(outWidth, outHeight, "an output")
        let needHorizontal = outWidth != width, needVertical = outHeight != height
        if !needHorizontal && !needVertical { return self }

        if order.verticalFirst(inWidth: width, inHeight: height, outWidth: outWidth, outHeight: outHeight) {
            // Pillow 13: every column to outHeight rows, then those rows to outWidth.
            if needHorizontal { try checkPixels(width, outHeight, "an intermediate image") }
            let vertical = ResamplingCoefficients(inSize: height, outSize: outHeight, filter: filter)
            let image = resampledColumns(to: outHeight, with: vertical, rowOffset: 0)
            guard needHorizontal else { return image }
            let horizontal = ResamplingCoefficients(inSize: width, outSize: outWidth, filter: filter)
            return image.resampledRows(0..<outHeight, to: outWidth, with: horizontal)
        }
        var image = self
        var vertical: ResamplingCoefficients?
        if needHorizontal {
            // The vertical pass reads only some rows; like Pillow, resample just those.
            var rows = 0..<height
            if needVertical {
                let k = ResamplingCoefficients(inSize: height, outSize: outHeight, filter: filter)
                rows = k.inputRange
                vertical = k
            }
            try checkPixels(outWidth, rows.count, "an intermediate image")
            let horizontal = ResamplingCoefficients(inSize: width, outSize: outWidth, filter: filter)
            image = resampledRows(rows, to: outWidth, with: horizontal)
        }
        if needVertical {
            let k = vertical ?? ResamplingCoefficients(inSize: height, outSize: outHeight, filter: filter)
            // After a horizontal pass the image holds only rows k.inputRange, from its first.
            image = image.resampledColumns(to: outHeight, with: k, rowOffset: needHorizontal ? k.inputRange.lowerBound : 0)
        }
        return image
    }

    /// Horizontal pass: rows `rows` of this image, each resampled to `outWidth` pixels.
    private func resampledRows(_ rows: Range<Int>, to outWidth: Int, with k: ResamplingCoefficients) -> RasterImage {
        let c = channels
        var out = [UInt8](repeating: 0, count: outWidth * rows.count * c)
        pixels.withUnsafeBufferPointer { src in
            k.weights.withUnsafeBufferPointer { weights in
                out.withUnsafeMutableBufferPointer { dst in
                    for (row, y) in rows.enumerated() {
                        let line = y * width * c
                        let outLine = row * outWidth * c
                        for x in 0..<outWidth {
                            let w = x * k.taps
                            let first = line + k.start[x] * c
                            let n = k.count[x]
                            if c == 1 {
                                var s0 = ResamplingCoefficients.half
                                for t in 0..<n { s0 &+= Int32(src[first + t]) &* weights[w + t] }
                                dst[outLine + x] = ResamplingCoefficients.clip(s0)
                            } else {
                                var s0 = ResamplingCoefficients.half, s1 = s0, s2 = s0
                                for t in 0..<n {
                                    let p = first + 3 * t, kt = weights[w + t]
                                    s0 &+= Int32(src[p]) &* kt
                                    s1 &+= Int32(src[p + 1]) &* kt
                                    s2 &+= Int32(src[p + 2]) &* kt
                                }
                                let o = outLine + 3 * x
                                dst[o] = ResamplingCoefficients.clip(s0)
                                dst[o + 1] = ResamplingCoefficients.clip(s1)
                                dst[o + 2] = ResamplingCoefficients.clip(s2)
                            }
                        }
                    }
                }
            }
        }
        return RasterImage(width: outWidth, height: rows.count, channels: c, pixels: out)
    }

    /// Vertical pass: every column resampled to `outHeight` rows; input row `r` of the weights is
    /// row `r - rowOffset` of this image.
    private func resampledColumns(to outHeight: Int, with k: ResamplingCoefficients, rowOffset: Int) -> RasterImage {
        let stride = width * channels
        var out = [UInt8](repeating: 0, count: outHeight * stride)
        // One row of sums, filled tap by tap so the inner loop runs along contiguous bytes.
        // Integer addition is associative, so the order of the taps does not change the sums.
        var sums = [Int32](repeating: 0, count: stride)
        pixels.withUnsafeBufferPointer { src in
            k.weights.withUnsafeBufferPointer { weights in
                out.withUnsafeMutableBufferPointer { dst in
                    sums.withUnsafeMutableBufferPointer { acc in
                        for y in 0..<outHeight {
                            for i in 0..<stride { acc[i] = ResamplingCoefficients.half }
                            let first = k.start[y] - rowOffset
                            for t in 0..<k.count[y] {
                                let kt = weights[y * k.taps + t]
                                let line = (first + t) * stride
                                for i in 0..<stride { acc[i] &+= Int32(src[line + i]) &* kt }
                            }
                            let outLine = y * stride
                            for i in 0..<stride { dst[outLine + i] = ResamplingCoefficients.clip(acc[i]) }
                        }
                    }
                }
            }
        }
        return RasterImage(width: width, height: outHeight, channels: channels, pixels: out)
    }
}
