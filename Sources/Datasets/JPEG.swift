import CImageCodecs
import Foundation

/// JPEG reading through libjpeg-turbo.
public enum JPEG {
    /// Decodes JPEG bytes to an 8-bit gray or RGB image.
    ///
    /// Baseline, extended and progressive Huffman-coded JPEGs with 8-bit samples are read with
    /// libjpeg-turbo's defaults (accurate integer IDCT, fancy upsampling), as PIL reads them.
    /// Gray files give 1 channel, YCbCr and RGB files 3. CMYK and YCCK files (4 components) give RGB
    /// the way PIL's `convert("RGB")` does: samples are taken as Adobe's inverted CMYK and
    /// R = (255 - K) - round(C (255 - K) / 255), likewise G from M and B from Y, without color management.
    /// Arithmetic-coded files are refused (they compress without a bound the size check can rely on), and
    /// so are files whose data ends early (libjpeg would fill the rest with gray; PIL refuses a truncated
    /// file too). Other damage to the entropy-coded data is recovered from as libjpeg does.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - maxPixels: the largest width x height accepted (> 0), checked from the frame header.
    ///   - what: names the source in error messages (a path).
    /// - Returns: 1 (gray) or 3 (RGB) channels.
    /// - Throws: `DatasetError` naming `what`: not a JPEG, a corrupt or truncated file, an unsupported
    ///   kind (arithmetic coding, 12-bit samples, 2 components), more pixels than `maxPixels`, or a header
    ///   claiming more blocks than `bytes` can code.
    public static func decode(_ bytes: [UInt8], maxPixels: Int = ImageDecoder.defaultMaxPixels,
                              what: String = "JPEG data") throws -> RasterImage {
        precondition(maxPixels > 0, "the pixel limit must be positive, got \(maxPixels)")
        guard let state = cic_jpeg_create() else { throw DatasetError("\(what): out of memory starting libjpeg") }
        defer { cic_jpeg_destroy(state) }
        return try bytes.withUnsafeBufferPointer { input in
            func failure() -> DatasetError {
                DatasetError("\(what): invalid JPEG: \(String(cString: cic_jpeg_message(state)))")
            }
            var header = cic_jpeg_header()
            guard cic_jpeg_read_header(state, input.baseAddress, input.count, &header) == CIC_OK else { throw failure() }
            let (width, height) = (Int(header.width), Int(header.height))
            guard header.arithmetic == 0 else {
                throw DatasetError("\(what): arithmetic-coded JPEGs are not supported (re-encode it with Huffman coding)")
            }
            let stored: Int
            switch header.color {
            case CIC_JPEG_GRAY: stored = 1
            case CIC_JPEG_RGB: stored = 3
            case CIC_JPEG_CMYK: stored = 4
            default: throw DatasetError("\(what): unsupported JPEG with \(header.components) color components")
            }
            let size = try ImageDecoder.checkedSize(width: width, height: height, channels: stored,
                                                    maxPixels: maxPixels, what: what)
            // Every 8x8 block of every component is coded in some scan with at least its DC difference,
            // a Huffman code of at least one bit (a progressive DC refinement adds one bit per block). So a
            // file needs at least one bit per block, whatever its scans; less data cannot decode without
            // libjpeg padding missing blocks, which is refused anyway. (Sequential scans also code an
            // end-of-block per block; the bound is loose for them, never too tight.) It keeps libjpeg's
            // coefficient buffers (128 bytes per block) and the output within a few KB per byte present.
            let (bits, overflow) = input.count.multipliedReportingOverflow(by: 8)
            guard overflow || header.blocks <= UInt64(bits) else {
                throw ImageDecoder.implausible(what, width: width, height: height, format: "JPEG", present: input.count,
                                               reason: "it codes \(header.blocks) blocks of at least 1 bit each")
            }
            let samples = try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                guard cic_jpeg_read_pixels(state, buffer.baseAddress, size, Int32(stored)) == CIC_OK else { throw failure() }
                initialized = size
            }
            if stored == 4 {
                return RasterImage(width: width, height: height, channels: 3, pixels: rgb(fromInvertedCMYK: samples))
            }
            return RasterImage(width: width, height: height, channels: stored, pixels: samples)
        }
    }

    /// Reads a JPEG file; errors name `path`.
    public static func read(_ path: String, maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> RasterImage {
        try decode(ImageDecoder.readFile(path), maxPixels: maxPixels, what: path)
    }

    /// RGB from CMYK samples stored inverted (Adobe's convention, 255 = no ink): with c = 255 - stored C
    /// and n = stored K (= 255 - k), R = n - round(c n / 255).
    static func rgb(fromInvertedCMYK samples: [UInt8]) -> [UInt8] {
        let count = samples.count / 4
        var out = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            let n = Int(samples[4 * i + 3])
            for c in 0..<3 {
                let ink = 255 - Int(samples[4 * i + c])
                // c n / 255 is never exactly half-way (255 is odd), so + 127 rounds to nearest.
                out[3 * i + c] = UInt8(n - (ink * n + 127) / 255)
            }
        }
        return out
    }
}
