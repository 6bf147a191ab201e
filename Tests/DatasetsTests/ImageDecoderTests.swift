import Foundation
import Testing
@testable import Datasets

/// Decoding against pixels made by scripts/refs/image_codec_refs.py (PNGs checked there against PIL,
/// JPEGs decoded there by PIL with its own libjpeg-turbo).
@Suite struct ImageDecoderTests {
    @Test func decodesEveryReferenceImage() throws {
        let manifest = try ImageFixtures.manifest()
        // 1/2/4-bit gray, interlaced, 16-bit, gray + alpha, palettes with and without tRNS, JPEG kinds.
        #expect(manifest.count == 24)
        for (name, entry) in manifest.sorted(by: { $0.key < $1.key }) {
            let path = "\(ImageFixtures.folder)/\(entry.file)"
            let image = try ImageDecoder.read(path)
            #expect(image.width == entry.width && image.height == entry.height && image.channels == entry.channels, "\(name)")
            let expected = try readBytes("\(ImageFixtures.folder)/\(name).raw")
            // Exact, JPEGs too: PIL (libjpeg-turbo 3.2) and Debian's libjpeg-turbo 2.1 both use the accurate
            // integer IDCT, fancy upsampling and integer color conversion, whose SIMD code matches the C code
            // bit for bit (checked: equal with JSIMD_FORCENONE=1, JSIMD_FORCESSE2=1 and JSIMD_FORCEAVX2=1).
            #expect(image.pixels == expected, "\(name): \(zip(image.pixels, expected).filter { $0 != $1 }.count) samples differ")
            // The format-specific readers agree with the sniffing one.
            let direct = entry.file.hasSuffix(".png") ? try PNG.read(path) : try JPEG.read(path)
            #expect(direct == image, "\(name)")
        }
    }

    @Test func formatIsToldByContentNotName() throws {
        let png = try readBytes("\(ImageFixtures.folder)/gray4.png")
        let jpeg = try readBytes("\(ImageFixtures.folder)/jpeg_gray.jpg")
        #expect(ImageDecoder.format(of: png) == .png)
        #expect(ImageDecoder.format(of: jpeg) == .jpeg)
        #expect(ImageDecoder.format(of: [0x47, 0x49, 0x46, 0x38]) == nil)
        #expect(errorMessage { _ = try ImageDecoder.decode([0x47, 0x49, 0x46, 0x38, 0x39], what: "a.gif") }
                == "a.gif: neither a PNG nor a JPEG file (starts with 47 49 46 38)")
        #expect(errorMessage { _ = try ImageDecoder.decode([], what: "empty.png") }?.hasPrefix("empty.png: neither") == true)
        // Each reader refuses the other's bytes with its own message.
        #expect(errorMessage { _ = try PNG.decode(jpeg) }?.contains("not a PNG file") == true)
        #expect(errorMessage { _ = try JPEG.decode(png) }?.contains("Not a JPEG file") == true)
        #expect(errorMessage { _ = try JPEG.decode([]) }?.contains("invalid JPEG") == true)
    }

    @Test func cmykJPEGBecomesRGBAsInPIL() throws {
        // The reference is PIL's convert("RGB"); check the formula on chosen values as well.
        // Stored (inverted) C = 255 (no ink), K = 255 (no black): white. Stored K = 0: black.
        // Stored C = 55 (ink 200), K = 155 (n = 155): 155 - round(200 * 155 / 255) = 155 - 122 = 33.
        let samples: [UInt8] = [255, 255, 255, 255, 9, 200, 77, 0, 55, 55, 55, 155]
        #expect(JPEG.rgb(fromInvertedCMYK: samples) == [255, 255, 255, 0, 0, 0, 33, 33, 33])
        let image = try JPEG.read("\(ImageFixtures.folder)/jpeg_cmyk.jpg")
        #expect(image.channels == 3)
    }

    @Test func arithmeticCodedJPEGIsRefused() {
        #expect(errorMessage { _ = try JPEG.read("\(ImageFixtures.folder)/arithmetic.jpg") }?
                    .contains("arithmetic.jpg: arithmetic-coded JPEGs are not supported") == true)
    }

    @Test func truncatedJPEGsThrow() throws {
        for name in ["jpeg_rgb420", "jpeg_rgb420_progressive", "jpeg_gray"] {
            let bytes = try readBytes("\(ImageFixtures.folder)/\(name).jpg")
            // Cut inside the entropy-coded data: libjpeg would fill the rest with gray; refused instead.
            let message = errorMessage { _ = try JPEG.decode(Array(bytes.prefix(bytes.count * 2 / 3)), what: name) }
            #expect(message == "\(name): invalid JPEG: Premature end of JPEG file", "\(name)")
            // Cut inside the headers.
            #expect(errorMessage { _ = try JPEG.decode(Array(bytes.prefix(30))) }?.contains("invalid JPEG") == true)
        }
    }

    @Test func endlessProgressiveScansAreRefused() throws {
        // Repeat the first scan of a progressive JPEG (the DC scan, from its SOS marker to the next
        // marker) 1,000 times: libjpeg only warns about the repeated progression, and each scan costs a
        // pass over the image.
        let bytes = try readBytes("\(ImageFixtures.folder)/jpeg_rgb420_progressive.jpg")
        let start = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA })
        // Inside entropy-coded data FF is followed by 00 (stuffing) or a restart marker D0...D7.
        let end = try #require(((start + 2)..<(bytes.count - 1)).first { i in
            bytes[i] == 0xFF && bytes[i + 1] != 0 && !(0xD0...0xD7).contains(bytes[i + 1])
        })
        func repeating(_ count: Int) -> [UInt8] {
            Array(bytes[..<end]) + Array(repeatElement(bytes[start..<end], count: count).joined()) + Array(bytes[end...])
        }
        #expect(errorMessage { _ = try JPEG.decode(repeating(1000)) }?.contains("more than 1000 scans") == true)
        // A few repeats are within the limit and decode to the same image.
        #expect(try JPEG.decode(repeating(3)) == JPEG.decode(bytes))
    }

    @Test func mutatedFilesNeverCrash() throws {
        // Random byte changes to every reference file: each decode returns a consistent image or a
        // DatasetError naming the source, never a trap.
        var noise = ByteNoise(state: 77)
        var failures = 0, decoded = 0
        for entry in try ImageFixtures.manifest().values.sorted(by: { $0.file < $1.file }) {
            let original = try readBytes("\(ImageFixtures.folder)/\(entry.file)")
            for round in 0..<40 {
                var bytes = original
                for _ in 0...(round % 4) {
                    let position = Int(noise.next()) << 8 | Int(noise.next())
                    bytes[position % bytes.count] = noise.next()
                }
                if round % 5 == 4 { bytes = Array(bytes.prefix(bytes.count - Int(noise.next()) % bytes.count)) }
                do {
                    let image = try ImageDecoder.decode(bytes, what: "mutant")
                    #expect(image.pixels.count == image.width * image.height * image.channels)
                    decoded += 1
                } catch let error as DatasetError {
                    #expect(error.message.hasPrefix("mutant: "))
                    failures += 1
                }
            }
        }
        #expect(failures > 0 && decoded > 0)
    }
}
