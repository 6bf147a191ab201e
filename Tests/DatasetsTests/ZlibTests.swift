import Testing

@testable import Datasets
import Torch

@Suite struct ZlibTests {
    @Test func crcOfTheCheckString() {
        // The CRC-32 check value from the catalogue of parametrised CRC algorithms.
        #expect(Zlib.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        let whole = Zlib.crc32(Array("hello, world".utf8))
        let parts = Zlib.crc32(Array(", world".utf8), continuing: Zlib.crc32(Array("hello".utf8)))
        #expect(whole == parts)
    }

    @Test(arguments: [Zlib.Format.zlib, .gzip, .raw])
    func roundTrip(format: Zlib.Format) throws {
        var noise = ByteNoise(state: 42)
        let input = noise.bytes(5000) + [UInt8](repeating: 7, count: 20000)
        let packed = try Zlib.compress(input, format: format, level: 9)
        #expect(packed.count < input.count)
        #expect(try Zlib.decompress(packed, format: format) == input)
        // A too-small size hint only costs reallocation.
        #expect(try Zlib.decompress(packed, format: format, expectedSize: 1) == input)
    }

    @Test func gzipHeaderAndConcatenatedMembers() throws {
        let a = try Zlib.compress(Array("first ".utf8), format: .gzip)
        let b = try Zlib.compress(Array("second".utf8), format: .gzip)
        #expect(Array(a.prefix(2)) == [0x1f, 0x8b])
        #expect(try Zlib.decompress(a + b, format: .gzip) == Array("first second".utf8))
    }

    @Test func corruptAndTruncatedStreamsThrow() throws {
        var noise = ByteNoise(state: 7)
        let input = noise.bytes(4000)
        let packed = try Zlib.compress(input, format: .gzip)

        let truncated = Array(packed.prefix(packed.count / 2))
        #expect(errorMessage { _ = try Zlib.decompress(truncated, format: .gzip, what: "t.gz") }?.contains("truncated") == true)
        // Missing only the 8-byte trailer (CRC + size) is still truncation.
        let noTrailer = Array(packed.dropLast(8))
        #expect(errorMessage { _ = try Zlib.decompress(noTrailer, format: .gzip) }?.contains("truncated") == true)

        var badCRC = packed
        badCRC[badCRC.count - 6] ^= 0xff
        #expect(errorMessage { _ = try Zlib.decompress(badCRC, format: .gzip) }?.contains("corrupt") == true)

        var badHeader = packed
        badHeader[2] = 3  // compression method other than deflate
        #expect(errorMessage { _ = try Zlib.decompress(badHeader, format: .gzip) }?.contains("corrupt") == true)

        #expect(errorMessage { _ = try Zlib.decompress([UInt8](), format: .zlib) } != nil)
    }
}
