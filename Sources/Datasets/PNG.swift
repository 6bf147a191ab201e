import Foundation

/// PNG reading and writing for 8-bit images (non-interlaced).
public enum PNG {
    /// The eight bytes every PNG file starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A scanline filter (PNG filter method 0).
    public enum Filter: UInt8, Sendable, CaseIterable {
        /// Bytes as they are.
        case none = 0
        /// Difference to the byte one pixel to the left.
        case sub = 1
        /// Difference to the byte above.
        case up = 2
        /// Difference to the mean of left and above.
        case average = 3
        /// Difference to the Paeth predictor of left, above and upper left.
        case paeth = 4
    }

    /// How the encoder picks each row's filter.
    public enum FilterChoice: Sendable, Equatable {
        /// The filter with the smallest sum of absolute signed residuals, per row (libpng's heuristic).
        case adaptive
        /// The same filter for every row.
        case fixed(Filter)
    }

    /// The PNG color type for a channel count (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA).
    static func colorType(channels: Int) -> UInt8 {
        switch channels {
        case 1: 0
        case 2: 4
        case 3: 2
        default: 6
        }
    }

    /// The Paeth predictor of left `a`, above `b` and upper-left `c`.
    @inline(__always)
    static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    /// The prediction of byte `i` of a row for `filter`, from the already reconstructed row and the previous one.
    @inline(__always)
    static func prediction(_ filter: Filter, row: UnsafeBufferPointer<UInt8>, previous: UnsafeBufferPointer<UInt8>,
                           index i: Int, bytesPerPixel bpp: Int) -> UInt8 {
        let left = i >= bpp ? row[i - bpp] : 0
        let above = previous[i]
        switch filter {
        case .none: return 0
        case .sub: return left
        case .up: return above
        case .average: return UInt8((Int(left) + Int(above)) / 2)
        case .paeth: return paeth(left, above, i >= bpp ? previous[i - bpp] : 0)
        }
    }

    /// Writes `image` as a PNG file (replaced atomically).
    public static func write(_ image: RasterImage, to path: String, filter: FilterChoice = .adaptive,
                             level: Int = 6) throws {
        let bytes = try encode(image, filter: filter, level: level)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DatasetError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Reads a PNG file.
    public static func read(_ path: String) throws -> RasterImage {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DatasetError("cannot read \(path): \(error.localizedDescription)")
        }
        return try decode([UInt8](data), what: path)
    }
}
