/// Row labels for image grids: each row's label (a class name or number) drawn in a 3x5 pixel font in a
/// left margin. Letters are drawn as capitals; characters without a glyph are drawn as `?`.
public enum RowLabels {
    /// Rows of each glyph, top to bottom; bit 2 is the left column, bit 0 the right one.
    private static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 2, 2, 2], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        "A": [2, 5, 7, 5, 5], "B": [6, 5, 6, 5, 6], "C": [3, 4, 4, 4, 3], "D": [6, 5, 5, 5, 6], "E": [7, 4, 6, 4, 7],
        "F": [7, 4, 6, 4, 4], "G": [3, 4, 5, 5, 3], "H": [5, 5, 7, 5, 5], "I": [7, 2, 2, 2, 7], "J": [1, 1, 1, 5, 2],
        "K": [5, 5, 6, 5, 5], "L": [4, 4, 4, 4, 7], "M": [5, 7, 7, 5, 5], "N": [6, 5, 5, 5, 5], "O": [2, 5, 5, 5, 2],
        "P": [6, 5, 6, 4, 4], "Q": [2, 5, 5, 6, 3], "R": [6, 5, 6, 5, 5], "S": [3, 4, 2, 1, 6], "T": [7, 2, 2, 2, 2],
        "U": [5, 5, 5, 5, 7], "V": [5, 5, 5, 5, 2], "W": [5, 5, 7, 7, 5], "X": [5, 5, 2, 5, 5], "Y": [5, 5, 2, 2, 2],
        "Z": [7, 1, 2, 4, 7], "-": [0, 0, 7, 0, 0], "/": [1, 1, 2, 4, 4], " ": [0, 0, 0, 0, 0], ".": [0, 0, 0, 0, 2],
        "_": [0, 0, 0, 0, 7], "+": [0, 2, 7, 2, 0], "(": [1, 2, 2, 2, 1], ")": [4, 2, 2, 2, 4], ":": [0, 2, 0, 2, 0],
        "?": [7, 1, 2, 0, 2],
    ]

    /// The longest label drawn; longer ones are cut and end in `.`.
    public static let maxCharacters = 24

    /// `grid` with a margin on its left where each tile row `r` (of height `tileHeight`, separated by `padding`)
    /// carries the number `labels[r]` in white, scaled by `scale`.
    public static func add(to grid: RasterImage, labels: [Int], tileHeight: Int, padding: Int, scale: Int = 2) -> RasterImage {
        precondition(labels.allSatisfy { $0 >= 0 }, "row labels must be non-negative")
        return add(to: grid, labels: labels.map(String.init), tileHeight: tileHeight, padding: padding, scale: scale)
    }

    /// `grid` with a margin on its left where each tile row `r` (of height `tileHeight`, separated by `padding`)
    /// carries the text `labels[r]` (capitalised, at most `maxCharacters`) in white, scaled by `scale`.
    /// The margin is as wide as the longest label: 4 * scale pixels a character plus scale.
    public static func add(to grid: RasterImage, labels: [String], tileHeight: Int, padding: Int, scale: Int = 2) -> RasterImage {
        precondition(scale > 0, "label scale must be positive")
        let texts = labels.map(shown)
        let margin = ((texts.map(\.count).max() ?? 1) * 4 + 1) * scale
        var out = RasterImage(width: grid.width + margin, height: grid.height, channels: grid.channels)
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                for c in 0..<grid.channels { out[x + margin, y, c] = grid[x, y, c] }
            }
        }
        for (row, text) in texts.enumerated() {
            let top = padding + row * (tileHeight + padding) + max(0, (tileHeight - 5 * scale) / 2)
            for (k, character) in text.enumerated() {
                let glyph = glyphs[character] ?? glyphs["?", default: []]
                let left = scale + k * 4 * scale
                for gy in 0..<glyph.count {
                    for gx in 0..<3 where glyph[gy] & (4 >> gx) != 0 {
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

    /// The characters drawn for `label`: capitals, cut to `maxCharacters`.
    static func shown(_ label: String) -> [Character] {
        let upper = Array(label.uppercased())
        guard upper.count > maxCharacters else { return upper }
        return Array(upper.prefix(maxCharacters - 1)) + ["."]
    }
}
