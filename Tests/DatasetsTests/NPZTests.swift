import Foundation
import Testing
import Torch
@testable import Datasets

@Suite struct NPZTests {
    func le<T: FixedWidthInteger>(_ bytes: [UInt8], _ at: Int, _: T.Type) -> T {
        (0..<(T.bitWidth / 8)).reduce(T(0)) { $0 | T(bytes[at + $1]) << (8 * $1) }
    }

    func samples() throws -> (Tensor, Tensor) {
        let images = try Tensor.linspace(-1.2, 1.2, steps: 3 * 1 * 4 * 5).reshape([3, 1, 4, 5])
        return (images, try Tensor([Int64(7), 0, 9]))
    }

    @Test func sampleBatchLayout() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (images, labels) = try samples()
        let path = "\(folder)/samples.npz"
        try NPZ.writeSamples(images: images, labels: labels, to: path)
        let file = try readBytes(path)

        // End of central directory: two entries, directory right before it.
        let end = file.count - 22
        #expect(le(file, end, UInt32.self) == 0x0605_4b50)
        #expect(le(file, end + 10, UInt16.self) == 2)
        let directorySize = Int(le(file, end + 12, UInt32.self)), directoryStart = Int(le(file, end + 16, UInt32.self))
        #expect(directoryStart + directorySize == end)

        // Walk the central directory and check every entry against its local header and bytes.
        var at = directoryStart
        var names: [String] = []
        var payloads: [String: [UInt8]] = [:]
        for _ in 0..<2 {
            #expect(le(file, at, UInt32.self) == 0x0201_4b50)
            #expect(le(file, at + 10, UInt16.self) == 0)  // stored
            let crc = le(file, at + 16, UInt32.self)
            let size = Int(le(file, at + 24, UInt32.self))
            #expect(Int(le(file, at + 20, UInt32.self)) == size)
            let nameLength = Int(le(file, at + 28, UInt16.self)), extraLength = Int(le(file, at + 30, UInt16.self))
            let local = Int(le(file, at + 42, UInt32.self))
            let name = String(decoding: file[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            names.append(name)
            #expect(le(file, local, UInt32.self) == 0x0403_4b50)
            #expect(le(file, local + 14, UInt32.self) == crc)
            #expect(Int(le(file, local + 22, UInt32.self)) == size)
            let dataStart = local + 30 + Int(le(file, local + 26, UInt16.self)) + Int(le(file, local + 28, UInt16.self))
            let payload = Array(file[dataStart..<(dataStart + size)])
            #expect(crc == PNGTests().bitwiseCRC32(payload))
            payloads[name] = payload
            at += 46 + nameLength + extraLength
        }
        #expect(names == ["arr_0.npy", "arr_1.npy"])

        // npy v1.0 headers, padded to 64 bytes, then the data.
        let arr0 = try #require(payloads["arr_0.npy"])
        #expect(Array(arr0.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(le(arr0, 8, UInt16.self))
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: arr0[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 4, 5, 1), }"))
        #expect(header.hasSuffix(" \n"))
        let expected = try ImageConversion.toUInt8(images).permute([0, 2, 3, 1]).contiguous().toArray(UInt8.self)
        #expect(Array(arr0.dropFirst(10 + headerLength)) == expected)
        let arr1 = try #require(payloads["arr_1.npy"])
        let header1 = String(decoding: arr1[10..<(10 + Int(le(arr1, 8, UInt16.self)))], as: UTF8.self)
        #expect(header1.hasPrefix("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"))
        #expect(arr1.suffix(24) == [7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0])

        // And through the library's reader.
        let arrays = try NPZ.read(path)
        #expect(arrays["arr_0"]?.shape == [3, 4, 5, 1])
        #expect(arrays["arr_0"]?.dtype == .uint8)
        #expect(try arrays["arr_1"]?.tensor().toArray(Int64.self) == [7, 0, 9])
    }

    @Test func streamingWriterMatchesOneShotWriter() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (images, labels) = try samples()
        try NPZ.writeSamples(images: images, labels: labels, rgb: true, to: "\(folder)/a.npz")
        let writer = try NPZSampleWriter(path: "\(folder)/b.npz", count: 3, height: 4, width: 5, channels: 3)
        try writer.append(images: images.narrow(dim: 0, start: 0, length: 2), labels: labels.narrow(dim: 0, start: 0, length: 2))
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/b.npz"))  // appears only when finished
        #expect(errorMessage { try writer.finish() }?.contains("2 images appended, 3 declared") == true)
        try writer.append(images: images.narrow(dim: 0, start: 2, length: 1), labels: labels.narrow(dim: 0, start: 2, length: 1))
        try writer.finish()
        #expect(try readBytes("\(folder)/a.npz") == readBytes("\(folder)/b.npz"))
        let rgb = try #require(try NPZ.read("\(folder)/b.npz")["arr_0"])
        #expect(rgb.shape == [3, 4, 5, 3])
        #expect(rgb.data[0] == rgb.data[1] && rgb.data[1] == rgb.data[2])
    }

    @Test func zip64RecordsReadBack() throws {
        // Sizes and offsets in Zip64 extra fields, a Zip64 end record (built by scripts/refs/format_refs.py,
        // checked there with Python's zipfile).
        let reader = try ZipReader(path: "\(fixtures)/formats/zip64_all.zip")
        #expect(reader.entries.map(\.name) == ["a.bin", "b.bin"])
        #expect(reader.entries.map(\.size) == [3, 1000])
        #expect(try reader.contents(of: "a.bin") == [1, 2, 3])
        #expect(try reader.contents(of: "b.bin") == Array(repeating: 9, count: 1000))
        #expect(errorMessage { _ = try reader.contents(of: "c.bin") }?.contains("no entry named c.bin (entries: a.bin, b.bin)") == true)
    }

    /// The arrays of scripts/refs/format_refs.py, rebuilt here.
    func expectNumPyArrays(_ arrays: [String: NPYArray], _ what: String) throws {
        #expect(Set(arrays.keys) == ["bytes", "floats", "halves", "doubles", "longs", "ints", "flags", "scalar"], "\(what)")
        let bytes = try #require(arrays["bytes"])
        #expect(bytes.dtype == .uint8 && bytes.shape == [2, 3, 4] && bytes.data == Array(0..<24), "\(what)")
        // Values chosen exact in each type: k * 0.5 - 1, k / 8, and halves' 65504 (the largest float16).
        #expect(try arrays["floats"]?.tensor().toArray(Float.self) == [-1, -0.5, 0, 0.5, 1], "\(what)")
        #expect(try arrays["halves"]?.tensor().to(.float32).toArray(Float.self) == [0.5, -2, 65504], "\(what)")
        #expect(arrays["doubles"]?.shape == [3, 2])
        #expect(try arrays["doubles"]?.tensor().flatten().toArray(Double.self) == (0..<6).map { Double($0) / 8 }, "\(what)")
        #expect(try arrays["longs"]?.tensor().toArray(Int64.self) == [-3, 0, 1 << 40], "\(what)")
        #expect(arrays["ints"]?.dtype == .int32 && arrays["ints"]?.shape == [0, 3] && arrays["ints"]?.data == [], "\(what)")
        #expect(arrays["flags"]?.dtype == .bool && arrays["flags"]?.data == [1, 0, 0, 1], "\(what)")
        #expect(arrays["scalar"]?.shape == [], "\(what)")
        #expect(try arrays["scalar"]?.tensor().toArray(Int64.self) == [7], "\(what)")
    }

    @Test func readsNumPyWrittenArchives() throws {
        try expectNumPyArrays(NPZ.read("\(fixtures)/formats/numpy_savez.npz"), "np.savez")
        try expectNumPyArrays(NPZ.read("\(fixtures)/formats/numpy_savez_compressed.npz"), "np.savez_compressed")
    }

    @Test func numPyArraysRoundTripThroughTheWriter() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let original = try NPZ.read("\(fixtures)/formats/numpy_savez_compressed.npz")
        let names = original.keys.sorted()
        try NPZ.write(try names.map { ($0, try #require(original[$0]).tensor()) }, to: "\(folder)/again.npz")
        let again = try NPZ.read("\(folder)/again.npz")
        try expectNumPyArrays(again, "written back")
        #expect(again == original)
        // Every entry is stored, so its bytes can be mapped where they lie: the npy file, header and all.
        let reader = try ZipReader(path: "\(folder)/again.npz")
        #expect(reader.entries.map(\.name) == names.map { $0 + ".npy" })
        let file = try readBytes("\(folder)/again.npz")
        for entry in reader.entries {
            let range = try reader.storedRange(of: entry)
            #expect(Array(file[range]) == (try reader.contents(of: entry)))
            #expect(try reader.storedData(of: entry) == Data(file[range]))
        }
        let compressed = try ZipReader(path: "\(fixtures)/formats/numpy_savez_compressed.npz")
        #expect(errorMessage { _ = try compressed.storedRange(of: compressed.entries[0]) }?.contains("compressed (method 8), not stored") == true)
    }

    @Test func writeErrorsAreClearAndLeaveNothingBehind() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (images, labels) = try samples()
        let missing = "\(folder)/absent/samples.npz"
        let message = errorMessage { try NPZ.writeSamples(images: images, labels: labels, to: missing) }
        #expect(message?.hasPrefix("cannot write \(missing): ") == true, "\(String(describing: message))")
        #expect(message?.contains("No such file or directory") == true, "\(String(describing: message))")
        #expect(errorMessage { try NPZ.write([("x", try Tensor.zeros([2]).to(.bfloat16))], to: "\(folder)/b.npz") }?.contains("bfloat16") == true)

        // A streaming writer dropped before it finished removes its temporary file.
        do {
            let writer = try NPZSampleWriter(path: "\(folder)/s.npz", count: 3, height: 4, width: 5, channels: 1)
            try writer.append(images: images.narrow(dim: 0, start: 0, length: 1), labels: labels.narrow(dim: 0, start: 0, length: 1))
            #expect(errorMessage { try writer.append(images: images, labels: labels) }?.contains("more than the declared 3") == true)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func readerChecksCRCAndDeflate() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/x.npz"
        try NPZ.write([("weights", Tensor([Float(1.5), -2, 3]))], to: path)
        #expect(try NPZ.read(path)["weights"]?.tensor().toArray(Float.self) == [1.5, -2, 3])

        var file = try readBytes(path)
        file[30 + "weights.npy".utf8.count + 130] ^= 1  // a data byte
        try writeBytes(file, to: path)
        #expect(errorMessage { _ = try NPZ.read(path) }?.contains("CRC mismatch") == true)

        // A deflated entry, as numpy.savez_compressed writes: local header + raw deflate + directory, by hand.
        let payload = try NPYArray(Tensor([Int64(5), 6])).encoded()
        let packed = Array(try Zlib.compress(payload, format: .raw))
        var zip: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { zip += $0 } }
        let name = Array("arr_0.npy".utf8), crc = Zlib.crc32(payload)
        put(UInt32(0x0403_4b50)); put(UInt16(20)); put(UInt16(0)); put(UInt16(8)); put(UInt32(0))
        put(crc); put(UInt32(packed.count)); put(UInt32(payload.count)); put(UInt16(name.count)); put(UInt16(0))
        zip += name + packed
        let directory = zip.count
        put(UInt32(0x0201_4b50)); put(UInt16(20)); put(UInt16(20)); put(UInt16(0)); put(UInt16(8)); put(UInt32(0))
        put(crc); put(UInt32(packed.count)); put(UInt32(payload.count)); put(UInt16(name.count))
        put(UInt16(0)); put(UInt16(0)); put(UInt16(0)); put(UInt16(0)); put(UInt32(0)); put(UInt32(0))
        zip += name
        let directorySize = zip.count - directory
        put(UInt32(0x0605_4b50)); put(UInt16(0)); put(UInt16(0)); put(UInt16(1)); put(UInt16(1))
        put(UInt32(directorySize)); put(UInt32(directory)); put(UInt16(0))
        try writeBytes(zip, to: "\(folder)/c.npz")
        #expect(try NPZ.read("\(folder)/c.npz")["arr_0"]?.tensor().toArray(Int64.self) == [5, 6])
        #expect(errorMessage { _ = try ZipReader(path: "\(folder)/missing.npz") } == "cannot read \(folder)/missing.npz: No such file or directory")
    }
}
