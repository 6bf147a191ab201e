import Foundation
import Testing
import Torch
@testable import Datasets

@Suite struct PNGTests {
    func noiseImage(width: Int, height: Int, channels: Int, seed: UInt64) -> RasterImage {
        var noise = ByteNoise(state: seed)
        // Half smooth ramp, half noise, so that different filters win on different rows.
        let pixels = (0..<(width * height * channels)).map { i -> UInt8 in
            let y = i / (width * channels)
            return y % 2 == 0 ? UInt8(truncatingIfNeeded: i / channels * 3 + i % channels * 50) : noise.next()
        }
        return RasterImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    @Test(arguments: [1, 2, 3, 4])
    func roundTripEveryFilter(channels: Int) throws {
        let image = noiseImage(width: 17, height: 9, channels: channels, seed: UInt64(channels))
        var choices: [PNG.FilterChoice] = PNG.Filter.allCases.map { .fixed($0) }
        choices.append(.adaptive)
        for choice in choices {
            let bytes = try PNG.encode(image, filter: choice)
            let decoded = try PNG.decode(bytes)
            #expect(decoded == image, "filter \(choice), \(channels) channels")
        }
    }

    @Test func encodedLayout() throws {
        let image = noiseImage(width: 5, height: 4, channels: 3, seed: 1)
        let bytes = try PNG.encode(image, filter: .fixed(.paeth))
        #expect(Array(bytes.prefix(8)) == PNG.signature)
        // IHDR: length 13, type, width 5, height 4, depth 8, color type 2 (RGB), no interlace.
        #expect(Array(bytes[8..<16]) == [0, 0, 0, 13] + Array("IHDR".utf8))
        #expect(Array(bytes[16..<29]) == [0, 0, 0, 5, 0, 0, 0, 4, 8, 2, 0, 0, 0])
        // Walk the chunks with independent CRC checks: IHDR, IDAT, IEND.
        var offset = 8
        var types: [String] = []
        while offset < bytes.count {
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let body = Array(bytes[(offset + 4)..<(offset + 8 + length)])
            let crc = bytes[(offset + 8 + length)..<(offset + 12 + length)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            #expect(crc == bitwiseCRC32(body))
            types.append(String(decoding: body.prefix(4), as: UTF8.self))
            if types.last == "IDAT" {
                // zlib stream whose rows all start with filter type 4.
                let raw = try Zlib.decompress(Array(body.dropFirst(4)), format: .zlib)
                #expect(raw.count == 4 * (1 + 5 * 3))
                #expect(stride(from: 0, to: raw.count, by: 16).allSatisfy { raw[$0] == 4 })
            }
            offset += 12 + length
        }
        #expect(types == ["IHDR", "IDAT", "IEND"])
        #expect(offset == bytes.count)
    }

    /// Bit-by-bit CRC-32 (reflected polynomial 0xEDB88320), independent of zlib.
    func bitwiseCRC32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    struct FixtureInfo: Decodable { let width: Int; let height: Int; let channels: Int }

    @Test func decodesPNGsMadeByPython() throws {
        let folder = "\(fixtures)/png"
        let manifest = try JSONDecoder().decode([String: FixtureInfo].self,
                                                from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/manifest.json")))
        #expect(manifest.count == 6)
        for (name, info) in manifest {
            let image = try PNG.read("\(folder)/\(name).png")
            #expect(image.width == info.width && image.height == info.height && image.channels == info.channels, "\(name)")
            #expect(image.pixels == (try readBytes("\(folder)/\(name).raw")), "\(name)")
        }
    }

    @Test func corruptFilesThrow() throws {
        let good = try PNG.encode(noiseImage(width: 8, height: 8, channels: 1, seed: 3))
        var badSignature = good
        badSignature[1] = 0x51
        #expect(errorMessage { _ = try PNG.decode(badSignature) }?.contains("bad signature") == true)

        var badCRC = good
        badCRC[20] ^= 1  // inside IHDR's width
        #expect(errorMessage { _ = try PNG.decode(badCRC, what: "x.png") } == "x.png: invalid PNG: IHDR: CRC error")

        let noEnd = Array(good.dropLast(12))
        #expect(errorMessage { _ = try PNG.decode(noEnd) }?.contains("truncated") == true)
        let cut = Array(good.prefix(good.count - 20))
        #expect(errorMessage { _ = try PNG.decode(cut) }?.contains("truncated") == true)
        #expect(errorMessage { _ = try PNG.decode(Array(good.prefix(5))) }?.contains("truncated") == true)
        #expect(errorMessage { _ = try PNG.decode([]) }?.contains("truncated") == true)

        // A valid container whose image data is one row short.
        let short = try rebuildPNG(good) { type, data in
            guard type == "IDAT" else { return data }
            let raw = try Zlib.decompress(data, format: .zlib)
            return try Zlib.compress(Array(raw.dropLast(9)))
        }
        #expect(errorMessage { _ = try PNG.decode(short) }?.contains("Not enough image data") == true)

        let badFilter = try rebuildPNG(good) { type, data in
            guard type == "IDAT" else { return data }
            var raw = try Zlib.decompress(data, format: .zlib)
            raw[9] = 7
            return try Zlib.compress(raw)
        }
        #expect(errorMessage { _ = try PNG.decode(badFilter) }?.contains("bad adaptive filter value") == true)

        // An unknown critical chunk (upper-case first letter) cannot be skipped.
        var chunks = pngChunks(good)
        chunks.insert(("ABCD", [1, 2, 3]), at: 1)
        #expect(errorMessage { _ = try PNG.decode(pngFile(chunks)) }?.contains("ABCD: unhandled critical chunk") == true)
        // An unknown ancillary one is skipped.
        chunks[1].type = "abCD"
        #expect(try PNG.decode(pngFile(chunks)) == PNG.decode(good))
    }

    @Test func tensorConversionMatchesTheAuthors() throws {
        // clamp(0.5 (x + 1), 0, 1) * 255 + 0.5, truncated: -1 -> 0, 1 -> 255, 0 -> 128, out of range clamps,
        // -0.985 -> 1.9125 rounds to 2 (plain truncation of (x + 1) * 127.5 would give 1).
        let x = try Tensor([Float(-1), 1, 0, -3, 2.5, -0.5, 0.5, -0.985], shape: [1, 1, 1, 8])
        let bytes = try ImageConversion.toUInt8(x).toArray(UInt8.self)
        #expect(bytes == [0, 255, 128, 0, 255, 64, 191, 2])
        // Every byte survives a trip through [-1, 1].
        let all = try Tensor((0...255).map { UInt8($0) }, shape: [1, 1, 16, 16])
        #expect(try ImageConversion.toUInt8(ImageConversion.fromUInt8(all)).toArray(UInt8.self) == (0...255).map { UInt8($0) })
    }

    @Test func imageTensorRoundTrip() throws {
        let image = noiseImage(width: 6, height: 5, channels: 3, seed: 11)
        let tensor = try image.tensor()
        #expect(tensor.shape == [3, 5, 6])
        #expect(try tensor.select(dim: 0, index: 2).select(dim: 0, index: 4).select(dim: 0, index: 5).item()
                == Double(Float(image[5, 4, 2]) / Float(127.5) - 1))
        #expect(try RasterImage(tensor: tensor) == image)
    }

    @Test func grayRGBConversion() {
        let rgb = RasterImage(width: 2, height: 1, channels: 3, pixels: [255, 0, 0, 10, 200, 30])
        // PIL: (19595 R + 38470 G + 7471 B + 32768) >> 16.
        #expect(rgb.converted(toChannels: 1).pixels == [76, 124])
        let ga = RasterImage(width: 2, height: 1, channels: 2, pixels: [9, 100, 200, 0])
        #expect(ga.converted(toChannels: 3).pixels == [9, 9, 9, 200, 200, 200])
    }

    @Test func gridLayout() throws {
        // Five 2x3 tiles, each a constant value k / 4 - 1 (bytes 0, 32, 64, 96, 128 after conversion).
        let tiles = try Tensor.cat((0..<5).map { k in try Tensor.full([1, 1, 2, 3], Double(k) / 4 - 1) })
        let grid = try ImageGrid.tile(tiles, columns: 3, padding: 1, padValue: 200)
        #expect(grid.width == 3 * (3 + 1) + 1 && grid.height == 2 * (2 + 1) + 1 && grid.channels == 1)
        let expectedByte: [UInt8] = [0, 32, 64, 96, 128]
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let inTile = y % 3 != 0 && x % 4 != 0
                let k = (y / 3) * 3 + x / 4
                let expected = inTile && k < 5 ? expectedByte[k] : 200
                #expect(grid[x, y, 0] == expected, "pixel (\(x), \(y))")
            }
        }
        // Fewer images than columns: the grid narrows to them.
        #expect(try ImageGrid.tile(tiles, columns: 8, padding: 2).width == 5 * 5 + 2)
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ImageGrid.write(tiles, to: "\(folder)/grid.png", columns: 3, padding: 1, padValue: 200)
        #expect(try PNG.read("\(folder)/grid.png") == grid)
    }
}
