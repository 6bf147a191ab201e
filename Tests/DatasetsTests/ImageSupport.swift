import Foundation
import Torch
@testable import Datasets

/// One PNG chunk: length, type, data and CRC-32 of type and data.
func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    precondition(typeBytes.count == 4, "a chunk type has four letters")
    return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(Zlib.crc32(data, continuing: Zlib.crc32(typeBytes)))
}

/// The chunks of a well-formed PNG, as (type, data).
func pngChunks(_ png: [UInt8]) -> [(type: String, data: [UInt8])] {
    var chunks: [(type: String, data: [UInt8])] = []
    var offset = 8
    while offset + 12 <= png.count {
        let length = png[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
        let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
        chunks.append((type, Array(png[(offset + 8)..<(offset + 8 + length)])))
        offset += 12 + length
    }
    return chunks
}

/// A PNG file of the signature and `chunks`.
func pngFile(_ chunks: [(type: String, data: [UInt8])]) -> [UInt8] {
    chunks.reduce(PNG.signature) { $0 + pngChunk($1.type, $1.data) }
}

/// Re-chunks a PNG, passing each chunk's data through `change` and recomputing CRCs.
func rebuildPNG(_ png: [UInt8], _ change: (String, [UInt8]) throws -> [UInt8]) throws -> [UInt8] {
    pngFile(try pngChunks(png).map { ($0.type, try change($0.type, $0.data)) })
}

/// A PNG whose IHDR holds `ihdr` (13 bytes as given), with `idat` as its image data.
func pngFile(ihdr: [UInt8], idat: [UInt8]) -> [UInt8] {
    pngFile([("IHDR", ihdr), ("IDAT", idat), ("IEND", [])])
}

/// IHDR data: width, height, bit depth, color type, no interlace.
func ihdr(width: UInt32, height: UInt32, depth: UInt8, color: UInt8) -> [UInt8] {
    bigEndian(width) + bigEndian(height) + [depth, color, 0, 0, 0]
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
}

/// The image-folder fixtures: reference images, their expected pixels, and hostile files.
enum ImageFixtures {
    static let folder = "\(fixtures)/images"
    static let hostile = "\(fixtures)/hostile"

    struct Entry: Decodable {
        let file: String
        let width: Int
        let height: Int
        let channels: Int
    }

    /// The manifest written by scripts/refs/image_codec_refs.py, by name.
    static func manifest() throws -> [String: Entry] {
        try JSONDecoder().decode([String: Entry].self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/manifest.json")))
    }
}
