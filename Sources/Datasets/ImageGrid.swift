import Torch

/// Tiles a batch of images into one picture, row by row, as torchvision's `make_grid` lays them out.
public enum ImageGrid {
    /// Tiles (N, C, H, W) images in [-1, 1] (C = 1 or 3) into a grid of `columns` tiles per row.
    ///
    /// Tiles are separated and framed by `padding` pixels of the byte `padValue`; the last row may be
    /// partly empty. The grid is (rows * (H + padding) + padding) high and (columns * (W + padding) + padding) wide,
    /// with `columns` reduced to N when there are fewer images.
    public static func tile(_ images: Tensor, columns: Int, padding: Int = 2, padValue: UInt8 = 0) throws -> RasterImage {
        precondition(columns > 0, "a grid needs at least one column, got \(columns)")
        precondition(padding >= 0, "grid padding cannot be negative, got \(padding)")
        guard images.rank == 4, [1, 3].contains(images.size(1)), images.size(0) > 0 else {
            throw DatasetError("a grid needs images of shape (N, 1 or 3, H, W) with N > 0, got \(images.shape)")
        }
        let (n, c, h, w) = (images.size(0), images.size(1), images.size(2), images.size(3))
        let bytes = try ImageConversion.toUInt8NHWC(images).toArray(UInt8.self)  // (N, H, W, C)
        let cols = Swift.min(columns, n)
        let rows = (n + cols - 1) / cols
        let gridWidth = cols * (w + padding) + padding
        let gridHeight = rows * (h + padding) + padding
        var grid = RasterImage(width: gridWidth, height: gridHeight, channels: c, fill: padValue)
        grid.pixels.withUnsafeMutableBufferPointer { out in
            for k in 0..<n {
                let top = (k / cols) * (h + padding) + padding
                let left = (k % cols) * (w + padding) + padding
                for y in 0..<h {
                    let source = (k * h + y) * w * c
                    let target = ((top + y) * gridWidth + left) * c
                    for i in 0..<(w * c) { out[target + i] = bytes[source + i] }
                }
            }
        }
        return grid
    }

    /// Tiles the images and writes the grid as a PNG file.
    public static func write(_ images: Tensor, to path: String, columns: Int, padding: Int = 2,
                             padValue: UInt8 = 0) throws {
        try PNG.write(tile(images, columns: columns, padding: padding, padValue: padValue), to: path)
    }
}
