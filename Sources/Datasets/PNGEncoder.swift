extension PNG {
    /// Encodes an 8-bit image as PNG bytes: signature, IHDR, one IDAT (zlib deflate at `level`), IEND.
    public static func encode(_ image: RasterImage, filter: FilterChoice = .adaptive, level: Int = 6) throws -> [UInt8] {
        let bpp = image.channels
        let rowBytes = image.width * bpp
        var filtered = [UInt8](repeating: 0, count: image.height * (rowBytes + 1))
        let zeros = [UInt8](repeating: 0, count: rowBytes)
        var candidate = [UInt8](repeating: 0, count: rowBytes)
        image.pixels.withUnsafeBufferPointer { pixels in
            zeros.withUnsafeBufferPointer { zeroRow in
                for y in 0..<image.height {
                    let row = UnsafeBufferPointer(rebasing: pixels[(y * rowBytes)..<((y + 1) * rowBytes)])
                    let previous = y == 0 ? zeroRow
                        : UnsafeBufferPointer(rebasing: pixels[((y - 1) * rowBytes)..<(y * rowBytes)])
                    let choices: [Filter]
                    switch filter {
                    case .adaptive: choices = Filter.allCases
                    case .fixed(let f): choices = [f]
                    }
                    var best = Filter.none
                    var bestCost = Int.max
                    let out = y * (rowBytes + 1)
                    for f in choices {
                        var cost = 0
                        for i in 0..<rowBytes {
                            let residual = row[i] &- prediction(f, row: row, previous: previous, index: i, bytesPerPixel: bpp)
                            candidate[i] = residual
                            cost += residual < 128 ? Int(residual) : 256 - Int(residual)
                        }
                        if cost < bestCost {
                            bestCost = cost
                            best = f
                            filtered.replaceSubrange((out + 1)..<(out + 1 + rowBytes), with: candidate)
                        }
                    }
                    filtered[out] = best.rawValue
                }
            }
        }
        var header: [UInt8] = []
        appendBigEndian(UInt32(image.width), to: &header)
        appendBigEndian(UInt32(image.height), to: &header)
        header += [8, colorType(channels: image.channels), 0, 0, 0]

        var file = signature
        appendChunk("IHDR", header, to: &file)
        appendChunk("IDAT", try Zlib.compress(filtered, level: level), to: &file)
        appendChunk("IEND", [], to: &file)
        return file
    }

    /// Appends length, type, data and CRC-32 (over type and data).
    static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        precondition(typeBytes.count == 4, "a PNG chunk type has four letters, got \(type)")
        appendBigEndian(UInt32(data.count), to: &file)
        file += typeBytes
        file += data
        appendBigEndian(Zlib.crc32(data, continuing: Zlib.crc32(typeBytes)), to: &file)
    }

    static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }
}
