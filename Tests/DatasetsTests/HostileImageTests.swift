import Foundation
import Testing
@testable import Datasets

/// Headers that claim huge images: refused from the header, before any buffer sized from it exists.
///
/// The two checks run in this order before the decoded buffer is allocated (PNG.decode, JPEG.decode):
/// the pixel limit ("image too large"), then the plausibility of the size against the bytes present
/// ("cannot be held by N bytes"). An error naming either shows that nothing sized from the header was
/// allocated; a larger limit is passed where the second check is under test.
@Suite struct HostileImageTests {
    /// The zlib stream of the shared cases: one zero byte (a single filter byte, no pixels).
    let tinyIDAT: [UInt8] = [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]

    @Test func sharedCaseIHDROverflow() throws {
        // ../shared/cases/png-ihdr-overflow: 2^31-1 x 2^31-1 RGBA 16-bit in 67 bytes (a trap before).
        let path = "\(ImageFixtures.hostile)/png-ihdr-overflow.png"
        #expect(errorMessage { _ = try ImageDecoder.read(path) }
                == "\(path): image too large: 2147483647x2147483647 pixels exceeds the limit of 89478485 pixels per image")
        // Without a pixel limit: 2^62 pixels of 4 samples overflow Int; refused, no trap.
        #expect(errorMessage { _ = try PNG.read(path, maxPixels: Int.max) } == "\(path): 2147483647x2147483647x4 image is too large")
        // 2^31-1 x 2^31-1 gray fits Int, but its 2^62 bits of image data do not: refused as implausible.
        let gray = pngFile(ihdr: ihdr(width: UInt32(Int32.max), height: UInt32(Int32.max), depth: 16, color: 0), idat: tinyIDAT)
        #expect(errorMessage { _ = try PNG.decode(gray, maxPixels: Int.max) }?
                    .contains("a 2147483647x2147483647 image cannot be held by 67 bytes") == true)
    }

    @Test func sharedCaseIHDR400M() throws {
        // ../shared/cases/png-ihdr-400m: 20000 x 20000 gray in 67 bytes (a 400 MB allocation before).
        let path = "\(ImageFixtures.hostile)/png-ihdr-400m.png"
        #expect(errorMessage { _ = try ImageDecoder.read(path) }?
                    .hasPrefix("\(path): image too large: 20000x20000 pixels exceeds the limit of 89478485") == true)
        // Under a limit it passes, the data still cannot hold it: 67 bytes inflate to at most 69,144.
        #expect(errorMessage { _ = try ImageDecoder.read(path, maxPixels: 1_000_000_000) }
                == "\(path): truncated or corrupt PNG: a 20000x20000 image cannot be held by 67 bytes "
                   + "(it needs 400000000 bytes of image data, they inflate to at most 69144)")
        // The README's 65535 x 65535 RGBA (17 GB) header, same data.
        let rgba = pngFile(ihdr: ihdr(width: 65535, height: 65535, depth: 8, color: 6), idat: tinyIDAT)
        #expect(errorMessage { _ = try PNG.decode(rgba, maxPixels: Int.max) }?.contains("cannot be held by 67 bytes") == true)
    }

    @Test func plausibleButTruncatedDataThrows() {
        // 200 x 200 gray needs 40,000 bytes, within 67 x 1032: decoding starts, and libpng finds the data short.
        let small = pngFile(ihdr: ihdr(width: 200, height: 200, depth: 8, color: 0), idat: tinyIDAT)
        #expect(errorMessage { _ = try PNG.decode(small) }?.contains("Not enough image data") == true)
        // One pixel more than the bound allows: refused before decoding.
        let needed = 67 * PNG.maximumInflation + 1
        let over = pngFile(ihdr: ihdr(width: UInt32(needed), height: 1, depth: 8, color: 0), idat: tinyIDAT)
        #expect(errorMessage { _ = try PNG.decode(over) }?.contains("cannot be held by 67 bytes") == true)
        let at = pngFile(ihdr: ihdr(width: UInt32(needed - 1), height: 1, depth: 8, color: 0), idat: tinyIDAT)
        #expect(errorMessage { _ = try PNG.decode(at) }?.contains("Not enough image data") == true)
    }

    @Test func sharedFuzzCasePNGAlloc() throws {
        // ../shared/cases/fuzz/png-alloc.png, as bytes (no signature) and as the IHDR it encodes
        // (16,384,001 x 13,238,274 RGBA 16-bit) inside a well-formed file.
        let bytes = try readBytes("\(ImageFixtures.hostile)/fuzz-png-alloc.png")
        #expect(errorMessage { _ = try PNG.decode(bytes, what: "png-alloc") } == "png-alloc: invalid PNG: not a PNG file (bad signature)")
        #expect(errorMessage { _ = try ImageDecoder.decode(bytes) }?.contains("neither a PNG nor a JPEG") == true)
        let wrapped = pngFile(ihdr: Array(bytes.prefix(13)), idat: tinyIDAT)
        #expect(errorMessage { _ = try PNG.decode(wrapped) }?.contains("image too large: 16384001x13238274") == true)
        #expect(errorMessage { _ = try PNG.decode(wrapped, maxPixels: Int.max) }?.contains("cannot be held") == true)
    }

    @Test func pixelLimitIsOverridable() throws {
        let path = "\(ImageFixtures.folder)/rgb16_adam7.png"  // 13 x 10 = 130 pixels
        #expect(try PNG.read(path, maxPixels: 130).width == 13)
        #expect(errorMessage { _ = try PNG.read(path, maxPixels: 129) }?.contains("13x10 pixels exceeds the limit of 129") == true)
        let jpeg = "\(ImageFixtures.folder)/jpeg_rgb444.jpg"  // 19 x 13 = 247 pixels
        #expect(try JPEG.read(jpeg, maxPixels: 247).height == 13)
        #expect(errorMessage { _ = try JPEG.read(jpeg, maxPixels: 246) }?.contains("19x13 pixels exceeds the limit of 246") == true)
    }

    /// A JPEG whose frame header (SOF) claims `width` x `height`.
    func jpeg(_ name: String, claiming width: UInt16, _ height: UInt16) throws -> [UInt8] {
        var bytes = try readBytes("\(ImageFixtures.folder)/\(name).jpg")
        let sof = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && [0xC0, 0xC1, 0xC2].contains(bytes[$0 + 1]) })
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [UInt8(height >> 8), UInt8(height & 0xff),
                                                             UInt8(width >> 8), UInt8(width & 0xff)])
        return bytes
    }

    @Test func jpegHeadersClaimingHugeImages() throws {
        // 65500 x 65500 (libjpeg's largest) in 470 bytes: over the pixel limit, and implausible without it.
        let huge = try jpeg("jpeg_gray", claiming: 65500, 65500)
        #expect(errorMessage { _ = try JPEG.decode(huge) }?.contains("image too large: 65500x65500") == true)
        #expect(errorMessage { _ = try JPEG.decode(huge, maxPixels: Int.max) }?
                    .contains("truncated or corrupt JPEG: a 65500x65500 image cannot be held by \(huge.count) bytes") == true)
        // 2000 x 2000 is within the limit: 62,500 blocks of gray need at least 7,813 bytes.
        let large = try jpeg("jpeg_gray", claiming: 2000, 2000)
        #expect(errorMessage { _ = try JPEG.decode(large) }?.contains("it codes 62500 blocks of at least 1 bit each") == true)
        // Progressive 4:2:0 in 658 bytes (5,264 bits): 1000 x 1000 has 125 x 125 luma and 2 x 63 x 63 chroma
        // blocks, too many; 400 x 400 has 50 x 50 + 2 x 25 x 25 = 3,750, decoding starts and finds data missing.
        let progressive = try jpeg("jpeg_rgb420_progressive", claiming: 1000, 1000)
        #expect(errorMessage { _ = try JPEG.decode(progressive) }?.contains("it codes 23563 blocks") == true)
        let smaller = try jpeg("jpeg_rgb420_progressive", claiming: 400, 400)
        #expect(errorMessage { _ = try JPEG.decode(smaller) }?.contains("premature end of data segment") == true)
        // A plausible size that the data does not fill: the scan ends early, refused (not filled with gray).
        let plausible = try jpeg("jpeg_gray", claiming: 64, 48)
        #expect(errorMessage { _ = try JPEG.decode(plausible) }?.contains("premature end of data segment") == true)
    }
}
