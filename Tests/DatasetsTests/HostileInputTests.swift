import Foundation
import Testing
import Torch
@testable import Datasets

/// Crafted and fuzz-found inputs for the NPY, NPZ/ZIP and IDX readers: each must give a thrown
/// error naming the fault, never a trap or an allocation sized by the header.
@Suite struct HostileInputTests {
    func caseFile(_ name: String) -> String { "\(fixtures)/cases/\(name)" }
    func formatFile(_ name: String) -> String { "\(fixtures)/formats/\(name)" }

    /// An npy file with `dict` as its header text (v1.0 unless `major` says otherwise) and `data`.
    func npy(_ dict: String, data: [UInt8] = [], major: UInt8 = 1, claimedLength: Int? = nil) -> [UInt8] {
        let text = Array(dict.utf8)
        let length = claimedLength ?? text.count
        let lengthBytes = (0..<(major == 1 ? 2 : 4)).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        return NPY.magic + [major, 0] + lengthBytes + text + data
    }

    // MARK: the shared cases

    @Test func sharedNPYShapeOverflow() throws {
        let path = caseFile("npy-shape-overflow.npy")
        let bytes = try readBytes(path)
        #expect(errorMessage { _ = try NPY.parse(bytes, what: path) } == "\(path): npy header: expected '{' at byte 0")
        // The same with the dict's brace restored, then with its shape made well-formed: still errors.
        var braced = bytes
        braced[10] = UInt8(ascii: "{")
        #expect(errorMessage { _ = try NPY.parse(braced) }?.contains("npy shape: dimension 2 is not an integer") == true)
        let wellFormed = "{'descr': '|u1','fortran_order': False, 'shape': (5, 9223372036854775807, 73)}"
        #expect(errorMessage { _ = try NPY.parse(npy(wellFormed)) }?.contains("npy shape [5, 9223372036854775807, 73] of uint8 overflows") == true)
    }

    @Test func sharedIDXHeaderOverflowPlainAndGzipped() throws {
        let path = caseFile("idx-header-overflow.idx")
        #expect(errorMessage { _ = try IDXArray(contentsOf: path) } == "\(path): IDX shape [4199416607, 2332557312] overflows: more than 2^63 elements")
        let gzipped = try Zlib.compress(readBytes(path), format: .gzip)
        #expect(errorMessage { _ = try IDXArray(fileBytes: Data(gzipped), what: "x.gz") }?.contains("x.gz: IDX shape") == true)
    }

    @Test func sharedZipFieldNarrowing() throws {
        let path = caseFile("zip-field-narrowing.npz")
        #expect(errorMessage { _ = try NPZ.read(path) } == "\(path): not a valid zip archive (bad Zip64 end record at offset 18446744073709551615)")
    }

    // MARK: NPY

    static let badHeaders: [(dict: String, says: String)] = [
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", "overflows"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 2), }", "overflows"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (3037000500, 3037000500, 2), }", "overflows"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999,), }", "too large"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (-1,), }", "negative"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (2.5,), }", "expected ',' or ')'"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (True,), }", "not an integer"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (2,,3), }", "not an integer"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': [2], }", "unsupported value"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (2, }", "dimension 1 is not an integer"),
        ("{'descr': '|u1', 'fortran_order': False, }", "exactly"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "unsupported value"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}", "repeats"),
        ("{'descr': '|u1', 'fortran_order': True, 'shape': (2,), }", "Fortran"),
        ("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "unsupported npy element type"),
        ("{'descr': 1, 'fortran_order': False, 'shape': (2,), }", "unsupported value"),
        ("{'descr': '|u1', 'fortran_order': 'no', 'shape': (2,), }", "not True or False"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), } junk", "unexpected text"),
        ("{'descr': '|u1 ", "unterminated"),
        ("", "expected '{'"),
    ]

    @Test(arguments: 0..<badHeaders.count)
    func npyHeaderRefused(index: Int) {
        let (dict, says) = Self.badHeaders[index]
        let message = errorMessage { _ = try NPY.parse(npy(dict, data: [1, 2]), what: "a.npy") }
        #expect(message?.hasPrefix("a.npy: ") == true && message?.contains(says) == true, "\(dict): \(String(describing: message))")
    }

    @Test func npyLengthsAndDataChecked() throws {
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }"
        #expect(try NPY.parse(npy(dict, data: [UInt8](repeating: 0, count: 40))).shape == [10])
        // Data present is checked against the shape before any copy, both ways.
        #expect(errorMessage { _ = try NPY.parse(npy(dict, data: [UInt8](repeating: 0, count: 39))) }?.contains("needs 40 data bytes, found 39") == true)
        #expect(errorMessage { _ = try NPY.parse(npy(dict, data: [UInt8](repeating: 0, count: 41))) }?.contains("found 41") == true)
        let huge = "{'descr': '|u1', 'fortran_order': False, 'shape': (1099511627776,), }"
        #expect(errorMessage { _ = try NPY.parse(npy(huge, data: [1, 2, 3])) }?.contains("needs 1099511627776 data bytes, found 3") == true)
        // Header lengths beyond the file, in every version's length field.
        for (major, claimed) in [(UInt8(1), 0xFFFF), (2, 0xFFFF_FFFF), (3, 1 << 20)] {
            #expect(errorMessage { _ = try NPY.parse(npy(dict, major: major, claimedLength: claimed)) }?.contains("truncated") == true)
        }
        #expect(errorMessage { _ = try NPY.parse(Array(npy(dict).prefix(9))) }?.contains("truncated") == true)
        #expect(errorMessage { _ = try NPY.parse(npy(dict, major: 4)) }?.contains("version 4") == true)
        var badMagic = npy(dict)
        badMagic[1] = UInt8(ascii: "X")
        #expect(errorMessage { _ = try NPY.parse(badMagic) }?.contains("bad magic") == true)
    }

    @Test func npyHeadersAsOtherWritersSpellThem() throws {
        // Double quotes, a Python 2 long suffix, no trailing comma, version 2 and 3 length fields, a scalar.
        let forms = [("{\"descr\": \"<i8\", \"fortran_order\": False, \"shape\": (2L, 1L)}\n", UInt8(2), [2, 1]),
                     ("{'shape': (2,1), 'fortran_order': False, 'descr': '<i8'}", 3, [2, 1]),
                     ("{'descr': '<i8', 'fortran_order': False, 'shape': (), }      \n", 1, [])]
        for (dict, major, shape) in forms {
            let count = shape.reduce(1, *)
            let data = (0..<count).flatMap { i in (0..<8).map { UInt8(truncatingIfNeeded: (i + 5) >> (8 * $0)) } }
            let array = try NPY.parse(npy(dict, data: data, major: major))
            #expect(array.shape == shape)
            #expect(try array.tensor().flatten().toArray(Int64.self) == (0..<count).map { Int64($0 + 5) })
        }
        // Empty arrays with an enormous other dimension take no bytes.
        let empty = "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 9223372036854775807), }"
        #expect(try NPY.parse(npy(empty)).shape == [0, Int.max])
    }

    // MARK: ZIP / NPZ

    /// A one-entry archive built by hand: local header, data, central header, end record.
    func zip(name: String = "arr_0.npy", method: UInt16, data: [UInt8], crc: UInt32, declaredSize: UInt32,
             entryCount: UInt16 = 1, centralExtra: [UInt8] = [], directoryStart: UInt32? = nil) -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        let nameBytes = Array(name.utf8)
        put(UInt32(0x0403_4b50)); put(UInt16(20)); put(UInt16(0)); put(method); put(UInt32(0x21 << 16))
        put(crc); put(UInt32(data.count)); put(declaredSize); put(UInt16(nameBytes.count)); put(UInt16(0))
        out += nameBytes + data
        let directory = out.count
        put(UInt32(0x0201_4b50)); put(UInt16(0x0314)); put(UInt16(20)); put(UInt16(0)); put(method); put(UInt32(0x21 << 16))
        put(crc); put(UInt32(data.count)); put(declaredSize); put(UInt16(nameBytes.count)); put(UInt16(centralExtra.count))
        put(UInt16(0)); put(UInt16(0)); put(UInt16(0)); put(UInt32(0)); put(UInt32(0))
        out += nameBytes + centralExtra
        let directorySize = out.count - directory
        put(UInt32(0x0605_4b50)); put(UInt16(0)); put(UInt16(0)); put(entryCount); put(entryCount)
        put(UInt32(directorySize)); put(directoryStart ?? UInt32(directory)); put(UInt16(0))
        return out
    }

    func npzFailure(_ bytes: [UInt8]) -> String? { errorMessage { _ = try NPZ.read(data: Data(bytes), name: "h.npz") } }

    @Test func archivesThatStoppedOrHungZIPFoundation() throws {
        let offset = formatFile("zip64-offset.npz"), huge = formatFile("stored-huge.npz"), endless = formatFile("deflate-endless.npz")
        #expect(errorMessage { _ = try NPZ.read(offset) } == "\(offset): entry a.npy: no local header at offset 18446744073709551360")
        #expect(errorMessage { _ = try NPZ.read(huge) }?.contains("data of 1099511627776 bytes runs past the end of the file") == true)
        #expect(errorMessage { _ = try NPZ.read(endless) }?.contains("truncated deflate stream") == true)
        let reader = try ZipReader(path: huge)
        #expect(errorMessage { _ = try reader.storedRange(of: reader.entries[0]) }?.contains("runs past the end") == true)
    }

    @Test func inflationIsBoundedByTheDeclaredSize() throws {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let packed = try Zlib.compress(zeros, format: .raw, level: 9)
        let crc = Zlib.crc32(zeros)
        // A bomb: declares 10 bytes, inflates to 1 MiB; output stops one byte past the declaration.
        #expect(npzFailure(zip(method: 8, data: packed, crc: crc, declaredSize: 10))?.contains("inflates to more than 10 bytes") == true)
        // Declares more than deflate can make of the bytes present: refused before inflating.
        #expect(npzFailure(zip(method: 8, data: Array(packed.prefix(10)), crc: crc, declaredSize: 0xFFFF_FFF0))?
            .contains("more than deflate can make of 10") == true)
        // An explicit limit below the declared size.
        let honest = try ZipReader(data: Data(zip(method: 8, data: packed, crc: crc, declaredSize: UInt32(zeros.count))))
        #expect(try honest.contents(of: honest.entries[0]) == zeros)
        #expect(errorMessage { _ = try honest.contents(of: honest.entries[0], inflateLimit: 1000) }?.contains("over the limit of 1000") == true)
        // Stored entries whose two sizes disagree.
        #expect(npzFailure(zip(method: 0, data: [1, 2, 3], crc: 0, declaredSize: 1 << 30))?.contains("declares 3 bytes stored but 1073741824") == true)
        #expect(npzFailure(zip(method: 12, data: [1, 2, 3], crc: 0, declaredSize: 3))?.contains("unsupported compression method 12") == true)
    }

    @Test func directoryFieldsCheckedAgainstTheFile() {
        let payload: [UInt8] = [1, 2, 3]
        let crc = Zlib.crc32(payload)
        #expect(npzFailure(zip(method: 0, data: payload, crc: crc, declaredSize: 3, entryCount: 0xFFFF))?.contains("65535 entries declared") == true)
        #expect(npzFailure(zip(method: 0, data: payload, crc: crc, declaredSize: 3, directoryStart: 0xFFFF_FF00))?.contains("runs past the end of the file") == true)
        // A Zip64 field too short for the saturated size it must carry.
        let shortZip64: [UInt8] = [1, 0, 4, 0, 0, 0, 0, 0]
        #expect(npzFailure(zip(method: 0, data: payload, crc: crc, declaredSize: 0xFFFF_FFFF, centralExtra: shortZip64))?.contains("Zip64 field of arr_0.npy is too short") == true)
        // An extra field whose length runs past its header.
        #expect(npzFailure(zip(method: 0, data: payload, crc: crc, declaredSize: 3, centralExtra: [9, 9, 200, 0]))?.contains("runs past its header") == true)
        #expect(npzFailure(zip(method: 0, data: payload, crc: crc ^ 1, declaredSize: 3))?.contains("CRC mismatch") == true)
        #expect(npzFailure([0x50, 0x4b])?.contains("only 2 bytes") == true)
        #expect(npzFailure([UInt8](repeating: 0, count: 100))?.contains("no end-of-central-directory record") == true)
    }

    /// Every prefix of `bytes` and `bytes` with each byte changed must parse or throw, never trap.
    func sweep(_ bytes: [UInt8], _ parse: ([UInt8]) throws -> Void) -> (failures: Int, total: Int) {
        var failures = 0, total = 0
        var variants: [[UInt8]] = (0..<bytes.count).map { Array(bytes.prefix($0)) }
        for i in 0..<bytes.count {
            for value: UInt8 in [0x00, 0xFF, bytes[i] ^ 0x80] {
                var changed = bytes
                changed[i] = value
                variants.append(changed)
            }
        }
        for variant in variants {
            total += 1
            do { try parse(variant) } catch { failures += 1 }
        }
        return (failures, total)
    }

    @Test func mutatedArchivesAndFilesThrowOrParse() throws {
        for name in ["numpy_savez.npz", "numpy_savez_compressed.npz", "zip64_all.zip"] {
            let original = try readBytes(formatFile(name))
            let result = sweep(original) { bytes in
                let zip = try ZipReader(data: Data(bytes))
                for entry in zip.entries { _ = try zip.contents(of: entry) }
            }
            // Every truncation at least must fail: the end record is at the very end.
            #expect(result.failures >= original.count, "\(name): \(result)")
        }
        let idx = try Zlib.compress(idxBytes(shape: [3, 4], data: Array(0..<12)), format: .gzip)
        let idxResult = sweep(idx) { _ = try IDXArray(fileBytes: Data($0)) }
        #expect(idxResult.failures >= idx.count, "gzip IDX: \(idxResult)")
        let plain = idxBytes(shape: [2, 2], data: [1, 2, 3, 4])
        #expect(sweep(plain) { _ = try IDXArray(fileBytes: Data($0)) }.failures >= plain.count)
        let array = try NPYArray(Tensor([Float(1), 2, 3])).encoded()
        #expect(sweep(array) { _ = try NPY.parse($0) }.failures >= array.count)
    }

    // MARK: IDX

    @Test func idxHeadersAndGzipBoundedByTheHeader() throws {
        func plainFailure(_ bytes: [UInt8]) -> String? { errorMessage { _ = try IDXArray(fileBytes: Data(bytes), what: "i") } }
        func gzipFailure(_ bytes: [UInt8]) throws -> String? { plainFailure(try Zlib.compress(bytes, format: .gzip)) }
        let max = 0xFFFF_FFFF
        #expect(plainFailure(idxBytes(shape: [max, max], data: []))?.contains("overflows") == true)
        #expect(plainFailure(idxBytes(shape: [max, max, max, max], data: [1]))?.contains("overflows") == true)
        #expect(try gzipFailure(idxBytes(shape: [max, max], data: [1, 2]))?.contains("overflows") == true)
        // A header claiming 4 GiB with 3 bytes present: an error, the output never grows past the data.
        #expect(plainFailure(idxBytes(shape: [max], data: [1, 2, 3])) == "i: IDX file truncated: shape [4294967295] needs 4294967303 bytes, found 11")
        #expect(try gzipFailure(idxBytes(shape: [max], data: [1, 2, 3])) == "i: IDX file truncated: shape [4294967295] needs 4294967295 data bytes, found 3")
        #expect(try gzipFailure(idxBytes(shape: [3], data: [1, 2, 3, 4]))?.contains("too long") == true)
        #expect(try gzipFailure(idxBytes(shape: [2, 3], data: [])) == "i: IDX file truncated: shape [2, 3] needs 6 data bytes, found 0")
        #expect(try gzipFailure([0, 0, 8, 3, 0, 0])?.contains("truncated IDX header") == true)
        // The gzip size field (ISIZE) is not what sizes anything: a lie there is a corrupt stream.
        var lying = try Zlib.compress(idxBytes(shape: [3], data: [7, 8, 9]), format: .gzip)
        for i in 1...4 { lying[lying.count - i] = 0xFF }
        #expect(plainFailure(lying)?.contains("corrupt gzip") == true)
        // Zero-sized dimensions make an empty array whatever the others say.
        #expect(try IDXArray(fileBytes: Data(Zlib.compress(idxBytes(shape: [0, max], data: []), format: .gzip))).shape == [0, max])
        #expect(try IDXArray(fileBytes: Data(idxBytes(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]))).bytes == [1, 2, 3, 4, 5, 6])
    }
}
