/// The ADM centre crop (guided-diffusion's `center_crop_arr`, which DiMR uses for ImageNet): the
/// sizes it goes through for one image, and the crop itself.
///
/// 1. While the short side is at least `2 * size`, halve both sides (`w // 2`, `h // 2`) with PIL's BOX filter.
/// 2. Resize with PIL's BICUBIC so the short side is `size`: each side becomes `round(side * scale)`
///    with `scale = size / short side` in doubles and Python's round half to even.
/// 3. Take the `size` x `size` square at `((height - size) // 2, (width - size) // 2)`.
public struct CenterCrop: Sendable, Equatable {
    /// Width of the input image in pixels.
    public let width: Int
    /// Height of the input image in pixels.
    public let height: Int
    /// Side of the square output in pixels.
    public let size: Int
    /// Number of BOX halvings; halving `i` (from 1) gives `width >> i` x `height >> i`, as `(w // 2) // 2 == w // 4`.
    public let halvings: Int
    /// Width after the bicubic resize (>= `size`).
    public let resizedWidth: Int
    /// Height after the bicubic resize (>= `size`).
    public let resizedHeight: Int
    /// Left column of the crop in the resized image.
    public let cropX: Int
    /// Top row of the crop in the resized image.
    public let cropY: Int

    /// The plan for a `width` x `height` image and a `size` x `size` output.
    ///
    /// - Parameters:
    ///   - width: image width in pixels (>= 1).
    ///   - height: image height in pixels (>= 1).
    ///   - size: output side in pixels (>= 1, with `size * size <= maxPixels`).
    ///   - maxPixels: the largest width x height accepted for any image on the way (default PIL's limit).
    /// - Throws: `DatasetError` for a size or image side below 1, or a square, resized or
    ///   intermediate (between the passes of a resize) image over `maxPixels`, such as a thin image
    ///   upscaled to a large size.
    public init(width: Int, height: Int, size: Int, maxPixels: Int = ImageDecoder.defaultMaxPixels) throws {
        guard width >= 1, height >= 1 else {
            throw DatasetError("cannot centre-crop a \(width)x\(height) image: sides must be at least 1")
        }
        guard size >= 1 else { throw DatasetError("the centre-crop size must be at least 1, got \(size)") }
        let (square, squareOverflow) = size.multipliedReportingOverflow(by: size)
        guard !squareOverflow, square <= maxPixels else {
            throw DatasetError("a centre crop of \(size)x\(size) pixels is more than the limit of \(maxPixels)")
        }
        // size * size <= maxPixels (an Int) keeps 2 * size far from overflow.
        var (w, h) = (width, height)
        var halvings = 0
        while min(w, h) >= 2 * size {
            (w, h) = (w / 2, h / 2)
            halvings += 1
        }
        let scale = Double(size) / Double(min(w, h))
        let newWidth = (Double(w) * scale).rounded(.toNearestOrEven)
        let newHeight = (Double(h) * scale).rounded(.toNearestOrEven)
        // Compare as doubles before converting, so no side can overflow Int.
        guard newWidth * newHeight <= Double(maxPixels) else {
            let sides = newWidth < 1e15 && newHeight < 1e15 ? "\(Int(newWidth))x\(Int(newHeight))" : "\(newWidth)x\(newHeight)"
            throw DatasetError("centre-cropping a \(width)x\(height) image to \(size) resizes it to "
                + "\(sides) pixels, more than the limit of \(maxPixels)")
        }
        let (rw, rh) = (Int(newWidth), Int(newHeight))
        // Each resize goes through an image of its output width and input height, or (Pillow 13)
        // the other way round; refuse here rather than after the first halvings.
        var steps = (0..<halvings).map { ((width >> $0, height >> $0), (width >> ($0 + 1), height >> ($0 + 1))) }
        steps.append(((w, h), (rw, rh)))
        for (from, to) in steps {
            for (a, b) in [(to.0, from.1), (from.0, to.1)] {
                let (pixels, overflow) = a.multipliedReportingOverflow(by: b)
                guard !overflow, pixels <= maxPixels else {
                    throw DatasetError("centre-cropping a \(width)x\(height) image to \(size) needs an intermediate image "
                        + "of \(a)x\(b) pixels, more than the limit of \(maxPixels)")
                }
            }
        }
        // The short side becomes exactly `size` (size / m * m is within an ulp of size) and the long
        // side at least that; checked rather than trusted.
        guard rw >= size, rh >= size else {
            throw DatasetError("centre-cropping a \(width)x\(height) image to \(size) resized it to \(rw)x\(rh), smaller than the crop")
        }
        self.width = width
        self.height = height
        self.size = size
        self.halvings = halvings
        self.resizedWidth = rw
        self.resizedHeight = rh
        self.cropX = (rw - size) / 2
        self.cropY = (rh - size) / 2
    }

    /// Runs the plan on `image`, which must have the planned size, with `order`'s Pillow pass order
    /// (default Pillow <= 12's, what DiMR's authors ran).
    ///
    /// - Returns: a `size` x `size` image with the same channels (1 or 3).
    /// - Throws: `DatasetError` for an image of another size than planned, or with 2 or 4 channels.
    public func apply(to image: RasterImage, order: ResamplingPassOrder = .horizontalFirst,
                      maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> RasterImage {
        guard image.width == width, image.height == height else {
            throw DatasetError("a centre crop planned for \(width)x\(height) images got a \(image.width)x\(image.height) image")
        }
        var current = image
        for i in stride(from: 1, through: halvings, by: 1) {
            current = try current.resized(width: width >> i, height: height >> i, filter: .box, order: order, maxPixels: maxPixels)
        }
        current = try current.resized(width: resizedWidth, height: resizedHeight, filter: .bicubic, order: order, maxPixels: maxPixels)
        return current.cropped(x: cropX, y: cropY, width: size, height: size)
    }
}

extension RasterImage {
    /// The ADM centre crop of this gray or RGB image to `size` x `size`, byte for byte as
    /// guided-diffusion's `center_crop_arr` with PIL (see ``CenterCrop``); `order` picks the pass
    /// order of Pillow <= 12 (default, what DiMR's authors ran) or Pillow 13.
    ///
    /// - Throws: `DatasetError` for a size below 1, a crop or intermediate image over `maxPixels`,
    ///   or an image with 2 or 4 channels. Checked before any work.
    public func centerCropped(size: Int, order: ResamplingPassOrder = .horizontalFirst,
                              maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> RasterImage {
        guard channels == 1 || channels == 3 else {
            throw DatasetError("the centre crop needs a gray or RGB image, got \(channels) channels; "
                + "convert it with converted(toChannels:) first")
        }
        return try CenterCrop(width: width, height: height, size: size, maxPixels: maxPixels).apply(to: self, order: order, maxPixels: maxPixels)
    }

    /// The `width` x `height` region whose top-left pixel is (x, y); it must lie inside the image.
    func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RasterImage {
        precondition(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= width && y + h <= height,
                     "crop \(w)x\(h) at (\(x), \(y)) outside a \(width)x\(height) image")
        var out = [UInt8]()
        out.reserveCapacity(w * h * channels)
        for row in y..<(y + h) {
            let start = (row * width + x) * channels
            out.append(contentsOf: pixels[start..<(start + w * channels)])
        }
        return RasterImage(width: w, height: h, channels: channels, pixels: out)
    }
}
