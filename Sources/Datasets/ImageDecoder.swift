import Foundation

/// Decodes PNG or JPEG bytes, whichever they hold, with the limits every image decoder here applies.
///
/// Every decoder refuses, from the header and before allocating anything sized by it:
/// - images of more than `maxPixels` pixels (default ``defaultMaxPixels``, as PIL's `MAX_IMAGE_PIXELS`);
/// - images whose decoded size is impossible for the compressed bytes present (a header claiming
///   20000 x 20000 pixels in 67 bytes), so that memory stays bounded by the data actually given.
public enum ImageDecoder {
    /// The default pixel limit: 89,478,485 pixels (PIL's `Image.MAX_IMAGE_PIXELS`, 256 MiB of 8-bit RGB).
    public static let defaultMaxPixels = 89_478_485

    /// The image formats recognised by their first bytes.
    public enum Format: Sendable, Equatable {
        /// PNG (the 8-byte signature).
        case png
        /// JPEG (SOI followed by a marker: FF D8 FF).
        case jpeg
    }

    /// The format `bytes` start with, or nil.
    public static func format(of bytes: [UInt8]) -> Format? {
        if bytes.starts(with: PNG.signature) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    /// Decodes PNG or JPEG bytes (told apart by their first bytes, not by a file name) to an 8-bit image.
    ///
    /// - Parameters:
    ///   - maxPixels: the largest width x height accepted (> 0).
    ///   - what: names the source in error messages (a path).
    /// - Returns: gray, gray + alpha, RGB or RGBA; see ``PNG/decode(_:maxPixels:what:)`` and ``JPEG/decode(_:maxPixels:what:)``.
    /// - Throws: `DatasetError` naming `what` for another format, a corrupt or truncated file, or a size over the limits.
    public static func decode(_ bytes: [UInt8], maxPixels: Int = defaultMaxPixels, what: String = "image data") throws
        -> RasterImage {
        switch format(of: bytes) {
        case .png: return try PNG.decode(bytes, maxPixels: maxPixels, what: what)
        case .jpeg: return try JPEG.decode(bytes, maxPixels: maxPixels, what: what)
        case nil:
            let start = bytes.prefix(4).map { String(format: "%02X", $0) }.joined(separator: " ")
            throw DatasetError("\(what): neither a PNG nor a JPEG file (starts with \(bytes.isEmpty ? "nothing" : start))")
        }
    }

    /// Reads and decodes a PNG or JPEG file; errors name `path`.
    public static func read(_ path: String, maxPixels: Int = defaultMaxPixels) throws -> RasterImage {
        try decode(readFile(path), maxPixels: maxPixels, what: path)
    }

    /// The bytes of a file, or an error naming it.
    static func readFile(_ path: String) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw DatasetError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// The byte count of a `width` x `height` x `channels` image after checking the pixel limit.
    ///
    /// Throws when width x height exceeds `maxPixels` (or overflows), naming `what` and the limit (not how to
    /// raise it: that is the command's to say, see `isTooLarge`).
    static func checkedSize(width: Int, height: Int, channels: Int, maxPixels: Int, what: String) throws -> Int {
        precondition(maxPixels > 0, "the pixel limit must be positive, got \(maxPixels)")
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, !overflow, pixels <= maxPixels else {
            throw DatasetError("\(what): image too large: \(width)x\(height) pixels exceeds the limit of \(maxPixels) pixels per image")
        }
        // pixels <= maxPixels <= Int.max, channels <= 4: the product can still overflow for huge limits.
        let (bytes, byteOverflow) = pixels.multipliedReportingOverflow(by: channels)
        guard !byteOverflow else { throw DatasetError("\(what): \(width)x\(height)x\(channels) image is too large") }
        return bytes
    }

    /// Whether `error` is the refusal of an image over the pixel limit, so that a command with an option that
    /// raises the limit can name it.
    public static func isTooLarge(_ error: any Error) -> Bool {
        (error as? DatasetError)?.message.contains(": image too large: ") == true
    }

    /// A `DatasetError` for a header claiming more image than the bytes present can hold.
    static func implausible(_ what: String, width: Int, height: Int, format: String, present: Int, reason: String)
        -> DatasetError {
        DatasetError("\(what): truncated or corrupt \(format): a \(width)x\(height) image cannot be held by "
            + "\(present) bytes (\(reason))")
    }
}
