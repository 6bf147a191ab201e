import CImageCodecs
import Foundation

/// PNG reading and writing through libpng.
public enum PNG {
    /// The eight bytes every PNG file starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Deflate's largest expansion: output bytes per input byte.
    ///
    /// A length-258 match at distance 1 is the longest output of one deflate symbol pair, and a
    /// Huffman code is at least one bit long, so 2 bits give at most 258 bytes: 1032 bytes per byte.
    /// Literals, block headers, the zlib header and checksum and the PNG chunk framing only lower the
    /// ratio, so a PNG of n bytes inflates to at most 1032 n bytes of image data.
    static let maximumInflation = 1032

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

    /// Decodes PNG bytes to an 8-bit image.
    ///
    /// Reads every standard PNG: gray at 1, 2, 4, 8 or 16 bits, gray + alpha, RGB and RGBA at 8 or
    /// 16 bits, palette images at 1 to 8 bits, interlaced (Adam7) or not. Samples become 8-bit:
    /// 1/2/4-bit gray is scaled to 0...255 (x 255, 85, 17), 16-bit samples keep their high byte (as
    /// PIL reads 16-bit color), palette images become RGB, or RGBA when a tRNS chunk gives
    /// transparency. The single transparent color (tRNS) of gray and RGB images is ignored. Critical
    /// chunks' CRCs are checked; ancillary chunks other than tRNS are skipped unread.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - maxPixels: the largest width x height accepted (> 0), checked from IHDR before decoding.
    ///   - what: names the source in error messages (a path).
    /// - Returns: 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) channels.
    /// - Throws: `DatasetError` naming `what`: not a PNG, a corrupt or truncated file, more pixels than
    ///   `maxPixels`, or a header claiming more image data than `bytes` can inflate to.
    public static func decode(_ bytes: [UInt8], maxPixels: Int = ImageDecoder.defaultMaxPixels,
                              what: String = "PNG data") throws -> RasterImage {
        precondition(maxPixels > 0, "the pixel limit must be positive, got \(maxPixels)")
        guard let state = cic_png_create() else { throw DatasetError("\(what): out of memory starting libpng") }
        defer { cic_png_destroy(state) }
        return try bytes.withUnsafeBufferPointer { input in
            func failure() -> DatasetError {
                DatasetError("\(what): invalid PNG: \(String(cString: cic_png_message(state)))")
            }
            var header = cic_png_header()
            // No ancillary chunk can be longer than the file (libpng's default bound is 8 MB).
            let chunkMax = min(input.count, 8_000_000)
            guard cic_png_read_header(state, input.baseAddress, input.count, chunkMax, &header) == CIC_OK else {
                throw failure()
            }
            let (width, height) = (Int(header.width), Int(header.height))
            let stored: Int, channels: Int
            switch header.color_type {
            case 0: (stored, channels) = (1, 1)
            case 2: (stored, channels) = (3, 3)
            case 3: (stored, channels) = (1, header.has_trns != 0 ? 4 : 3)
            case 4: (stored, channels) = (2, 2)
            default: (stored, channels) = (4, 4)
            }
            let size = try ImageDecoder.checkedSize(width: width, height: height, channels: channels,
                                                    maxPixels: maxPixels, what: what)
            // At least width * height * bits per pixel / 8 bytes must inflate (interlacing and row filter
            // bytes only add to that); the file's bytes inflate to at most `maximumInflation` times their count.
            let bits = (width * height).multipliedReportingOverflow(by: stored * Int(header.bit_depth))
            let needed = bits.overflow ? Int.max : bits.partialValue / 8
            let inflated = input.count.multipliedReportingOverflow(by: maximumInflation)
            let available = inflated.overflow ? Int.max : inflated.partialValue
            guard needed <= available else {
                throw ImageDecoder.implausible(what, width: width, height: height, format: "PNG", present: input.count,
                                               reason: "it needs \(needed) bytes of image data, they inflate to at most \(available)")
            }
            let pixels = try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                guard cic_png_read_pixels(state, buffer.baseAddress, size, Int32(channels)) == CIC_OK else { throw failure() }
                initialized = size
            }
            return RasterImage(width: width, height: height, channels: channels, pixels: pixels)
        }
    }

    /// Reads a PNG file; errors name `path`.
    public static func read(_ path: String, maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> RasterImage {
        try decode(ImageDecoder.readFile(path), maxPixels: maxPixels, what: path)
    }

    /// Encodes an 8-bit image (1 to 4 channels) as PNG bytes: IHDR, IDAT (zlib `level` 0...9), IEND.
    ///
    /// - Throws: `DatasetError` when libpng fails (out of memory, a side over 2^31 - 1).
    public static func encode(_ image: RasterImage, filter: FilterChoice = .adaptive, level: Int = 6) throws -> [UInt8] {
        precondition((0...9).contains(level), "the zlib level is 0 to 9, got \(level)")
        guard image.width <= Int(Int32.max), image.height <= Int(Int32.max) else {
            throw DatasetError("cannot encode a \(image.width)x\(image.height) PNG: sides are at most 2^31 - 1")
        }
        // libpng's mask: bit 3 + t allows filter type t.
        let mask: Int32
        switch filter {
        case .adaptive: mask = Filter.allCases.reduce(0) { $0 | 0x08 << Int32($1.rawValue) }
        case .fixed(let f): mask = 0x08 << Int32(f.rawValue)
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let capacity = 256
        var message = [CChar](repeating: 0, count: capacity)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            cic_png_encode(pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels), mask,
                           Int32(level), &output, &size, &message, capacity)
        }
        guard status == CIC_OK, let output else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DatasetError("cannot encode PNG: \(text)")
        }
        defer { cic_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
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
}
