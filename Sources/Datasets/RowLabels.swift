/// Row labels for image grids: each row's number drawn in a 3x5 pixel digit font in a left margin.
public enum RowLabels {
    /// Rows of each digit's 3x5 glyph, top to bottom, bit 2 = left column.
    private static let glyphs: [[UInt8]] = [
        [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 7, 1, 7], [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 2, 2, 2], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
    ]

    /// `grid` with a margin on its left where each tile row `r` (of height `tileHeight`, separated by `padding`)
    /// carries `labels[r]` as white digits scaled by `scale`.
    public static func add(to grid: RasterImage, labels: [Int], tileHeight: Int, padding: Int, scale: Int = 2) -> RasterImage {
        precondition(scale > 0, "label scale must be positive")
        precondition(labels.allSatisfy { $0 >= 0 }, "row labels must be non-negative")
        let digits = labels.map { String($0).compactMap { $0.wholeNumberValue } }
        let margin = ((digits.map(\.count).max() ?? 1) * 4 + 1) * scale
        var out = RasterImage(width: grid.width + margin, height: grid.height, channels: grid.channels)
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                for c in 0..<grid.channels { out[x + margin, y, c] = grid[x, y, c] }
            }
        }
        for (row, number) in digits.enumerated() {
            let top = padding + row * (tileHeight + padding) + max(0, (tileHeight - 5 * scale) / 2)
            for (k, digit) in number.enumerated() {
                let left = scale + k * 4 * scale
                for gy in 0..<5 {
                    for gx in 0..<3 where glyphs[digit][gy] & (4 >> gx) != 0 {
                        for dy in 0..<scale {
                            for dx in 0..<scale {
                                let (x, y) = (left + gx * scale + dx, top + gy * scale + dy)
                                guard y < out.height else { continue }
                                for c in 0..<out.channels { out[x, y, c] = 255 }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
