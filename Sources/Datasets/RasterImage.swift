import Torch

/// An 8-bit image held as interleaved bytes, row by row (the layout PNG stores).
public struct RasterImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Samples per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
    public let channels: Int
    /// `height * width * channels` samples, C order (row, column, channel).
    public var pixels: [UInt8]

    /// An image from its pixel bytes; the count must match the size.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "image size must be positive, got \(width)x\(height)")
        precondition((1...4).contains(channels), "an image has 1 to 4 channels, got \(channels)")
        precondition(pixels.count == width * height * channels,
                     "\(width)x\(height)x\(channels) image needs \(width * height * channels) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image filled with one value in every sample.
    public init(width: Int, height: Int, channels: Int, fill: UInt8 = 0) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: fill, count: width * height * channels))
    }

    /// The sample at (x, y, channel).
    public subscript(x: Int, y: Int, channel: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + channel] }
        set { pixels[(y * width + x) * channels + channel] = newValue }
    }

    /// The image as gray (1 channel) or RGB (3 channels), dropping alpha.
    ///
    /// RGB to gray uses ITU-R 601 luma with PIL's fixed-point rounding,
    /// `(19595 R + 38470 G + 7471 B + 32768) >> 16`; gray to RGB repeats the value.
    public func converted(toChannels target: Int) -> RasterImage {
        precondition(target == 1 || target == 3, "conversion targets 1 (gray) or 3 (RGB) channels, got \(target)")
        let isGray = channels <= 2
        if (target == 1 && channels == 1) || (target == 3 && channels == 3) { return self }
        var out = [UInt8](repeating: 0, count: width * height * target)
        for i in 0..<(width * height) {
            let p = i * channels
            if target == 1 {
                if isGray {
                    out[i] = pixels[p]
                } else {
                    let r = UInt32(pixels[p]), g = UInt32(pixels[p + 1]), b = UInt32(pixels[p + 2])
                    out[i] = UInt8((19595 * r + 38470 * g + 7471 * b + 32768) >> 16)
                }
            } else {
                for c in 0..<3 { out[i * 3 + c] = pixels[isGray ? p : p + c] }
            }
        }
        return RasterImage(width: width, height: height, channels: target, pixels: out)
    }

    /// The image as a float32 (C, H, W) tensor scaled to [-1, 1] as `byte / 127.5 - 1`.
    public func tensor() throws -> Tensor {
        let table = (0...255).map { Float($0) / Float(127.5) - Float(1) }
        var values = [Float](repeating: 0, count: pixels.count)
        let plane = width * height
        for i in 0..<plane {
            for c in 0..<channels { values[c * plane + i] = table[Int(pixels[i * channels + c])] }
        }
        return try Tensor(values, shape: [channels, height, width])
    }

    /// An image from a (C, H, W) tensor in [-1, 1] with 1, 3 or 4 channels, converted with `ImageConversion.toUInt8`.
    public init(tensor: Tensor) throws {
        guard tensor.rank == 3 else { throw DatasetError("an image tensor must be (C, H, W), got shape \(tensor.shape)") }
        let (c, h, w) = (tensor.size(0), tensor.size(1), tensor.size(2))
        guard (1...4).contains(c) else { throw DatasetError("an image tensor needs 1 to 4 channels, got \(c)") }
        let bytes = try ImageConversion.toUInt8(tensor.unsqueeze(0)).permute([0, 2, 3, 1]).contiguous().toArray(UInt8.self)
        self.init(width: w, height: h, channels: c, pixels: bytes)
    }
}
