extension PNG {
    /// The IHDR fields the decoder uses.
    struct Header {
        var width: Int
        var height: Int
        var bitDepth: Int
        var colorType: UInt8

        /// Samples per pixel as stored (a palette index counts as one).
        var storedChannels: Int {
            switch colorType {
            case 0, 3: 1
            case 4: 2
            case 2: 3
            default: 4
            }
        }
    }

    /// Decodes PNG bytes: 8- or 16-bit gray, gray + alpha, RGB, RGBA and 8-bit palette images, not interlaced.
    ///
    /// 16-bit samples keep their high byte; palette images become RGB, or RGBA when they carry
    /// transparency. Every chunk's CRC is checked; `what` names the source in error messages.
    public static func decode(_ bytes: [UInt8], what: String = "PNG data") throws -> RasterImage {
        func fail(_ why: String) -> DatasetError { DatasetError("\(what): \(why)") }
        guard bytes.count >= 8 else { throw fail("truncated PNG (\(bytes.count) bytes, shorter than the signature)") }
        guard Array(bytes.prefix(8)) == signature else { throw fail("not a PNG file (bad signature)") }

        var header: Header?
        var palette: [UInt8] = []
        var paletteAlpha: [UInt8] = []
        var compressed: [UInt8] = []
        var offset = 8
        var sawEnd = false
        while !sawEnd {
            guard offset + 8 <= bytes.count else {
                throw fail("truncated PNG: file ends at byte \(bytes.count) before the IEND chunk")
            }
            let length = Int(readBigEndian(bytes, at: offset))
            let typeBytes = Array(bytes[(offset + 4)..<(offset + 8)])
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= Int(Int32.max) else { throw fail("chunk \(type) declares an invalid length \(length)") }
            guard offset + 12 + length <= bytes.count else {
                throw fail("truncated PNG: chunk \(type) at byte \(offset) needs \(length + 12) bytes, \(bytes.count - offset) left")
            }
            let data = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            let stored = readBigEndian(bytes, at: offset + 8 + length)
            let computed = Zlib.crc32(data, continuing: Zlib.crc32(typeBytes))
            guard stored == computed else {
                throw fail("CRC mismatch in chunk \(type) at byte \(offset) (stored \(hex(stored)), computed \(hex(computed)))")
            }
            if header == nil && type != "IHDR" { throw fail("the first chunk is \(type), not IHDR") }
            switch type {
            case "IHDR":
                guard header == nil else { throw fail("more than one IHDR chunk") }
                header = try parseHeader(data, fail: fail)
            case "PLTE":
                guard length % 3 == 0, (3...768).contains(length) else { throw fail("PLTE chunk of invalid length \(length)") }
                palette = data
            case "tRNS":
                if header?.colorType == 3 { paletteAlpha = data }
            case "IDAT":
                compressed += data
            case "IEND":
                sawEnd = true
            default:
                // Ancillary chunks (lower-case first letter) may be skipped; critical ones may not.
                if let first = typeBytes.first, first & 0x20 == 0 {
                    throw fail("unsupported critical chunk \(type)")
                }
            }
            offset += 12 + length
        }
        guard let header else { throw fail("no IHDR chunk") }
        guard !compressed.isEmpty else { throw fail("no IDAT chunk (no image data)") }
        if header.colorType == 3 && palette.isEmpty { throw fail("palette image without a PLTE chunk") }

        let bytesPerSample = header.bitDepth / 8
        let bpp = header.storedChannels * bytesPerSample
        let rowBytes = header.width * bpp
        let expected = header.height * (rowBytes + 1)
        let raw = try Zlib.decompress(compressed, format: .zlib, expectedSize: expected, what: "\(what) (image data)")
        guard raw.count >= expected else {
            throw fail("truncated image data: \(raw.count) bytes inflated, \(header.width)x\(header.height) needs \(expected)")
        }
        guard raw.count == expected else {
            throw fail("too much image data: \(raw.count) bytes inflated, \(header.width)x\(header.height) needs \(expected)")
        }
        let samples = try unfilter(raw, height: header.height, rowBytes: rowBytes, bytesPerPixel: bpp, fail: fail)
        return try assemble(samples, header: header, palette: palette, paletteAlpha: paletteAlpha, fail: fail)
    }

    /// Checks IHDR and keeps the fields the decoder needs.
    static func parseHeader(_ data: [UInt8], fail: (String) -> DatasetError) throws -> Header {
        guard data.count == 13 else { throw fail("IHDR chunk of length \(data.count), expected 13") }
        let width = Int(readBigEndian(data, at: 0)), height = Int(readBigEndian(data, at: 4))
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw fail("invalid image size \(width)x\(height)")
        }
        let depth = Int(data[8]), color = data[9]
        guard [0, 2, 3, 4, 6].contains(color) else { throw fail("invalid color type \(color)") }
        let depthOK = color == 3 ? depth == 8 : depth == 8 || depth == 16
        guard depthOK else {
            throw fail("unsupported bit depth \(depth) for color type \(color) (supported: 8, and 16 without a palette)")
        }
        guard data[10] == 0, data[11] == 0 else { throw fail("unknown compression or filter method") }
        guard data[12] == 0 else { throw fail("interlaced (Adam7) PNGs are not supported") }
        return Header(width: width, height: height, bitDepth: depth, colorType: color)
    }

    /// Reverses the per-row filters of inflated image data, returning the bare samples.
    static func unfilter(_ raw: [UInt8], height: Int, rowBytes: Int, bytesPerPixel bpp: Int,
                         fail: (String) -> DatasetError) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: height * rowBytes)
        let zeros = [UInt8](repeating: 0, count: rowBytes)
        try raw.withUnsafeBufferPointer { src in
            try zeros.withUnsafeBufferPointer { zeroRow in
                try out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<height {
                        let code = src[y * (rowBytes + 1)]
                        guard let filter = Filter(rawValue: code) else {
                            throw fail("invalid filter type \(code) on row \(y)")
                        }
                        let start = y * rowBytes
                        let row = UnsafeBufferPointer(rebasing: dst[start..<(start + rowBytes)])
                        let previous = y == 0 ? zeroRow : UnsafeBufferPointer(rebasing: dst[(start - rowBytes)..<start])
                        for i in 0..<rowBytes {
                            let residual = src[y * (rowBytes + 1) + 1 + i]
                            dst[start + i] = residual &+ prediction(filter, row: row, previous: previous, index: i,
                                                                     bytesPerPixel: bpp)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Turns stored samples into an 8-bit image (high byte of 16-bit samples, palette looked up).
    static func assemble(_ samples: [UInt8], header: Header, palette: [UInt8], paletteAlpha: [UInt8],
                         fail: (String) -> DatasetError) throws -> RasterImage {
        let pixelCount = header.width * header.height
        if header.colorType == 3 {
            let channels = paletteAlpha.isEmpty ? 3 : 4
            let entries = palette.count / 3
            var pixels = [UInt8](repeating: 0, count: pixelCount * channels)
            for i in 0..<pixelCount {
                let index = Int(samples[i])
                guard index < entries else { throw fail("palette index \(index) out of range (\(entries) entries)") }
                for c in 0..<3 { pixels[i * channels + c] = palette[index * 3 + c] }
                if channels == 4 { pixels[i * 4 + 3] = index < paletteAlpha.count ? paletteAlpha[index] : 255 }
            }
            return RasterImage(width: header.width, height: header.height, channels: channels, pixels: pixels)
        }
        let channels = header.storedChannels
        if header.bitDepth == 16 {
            let pixels = (0..<(pixelCount * channels)).map { samples[2 * $0] }
            return RasterImage(width: header.width, height: header.height, channels: channels, pixels: pixels)
        }
        return RasterImage(width: header.width, height: header.height, channels: channels, pixels: samples)
    }

    static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}
