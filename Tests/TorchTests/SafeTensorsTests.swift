import Foundation
import Testing
import Torch

@Suite("safetensors reading, writing and validation")
struct SafeTensorsTests {
    /// A tensor of `dtype` with distinct values (and both truth values for bool).
    func sample(_ dtype: DType, shape: [Int]) throws -> Tensor {
        let n = shape.reduce(1, *)
        let values = try Tensor.arange(0, Double(n)).reshape(shape).to(.float64)
        switch dtype {
        case .bool: return try (values .> 1.0).to(.bool)
        case .uint8, .int32, .int64: return try (values * 3.0 - 1.0).clamp(min: 0).to(dtype)
        default: return try (values * 0.37 - 1.5).to(dtype)
        }
    }

    @Test func roundTripOfEveryDTypeAndMetadata() throws {
        let (dir, cleanup) = try makeTemporaryDirectory()
        defer { cleanup() }
        var tensors: [String: Tensor] = [:]
        for dtype in DType.allCases {
            tensors["t.\(dtype)"] = try sample(dtype, shape: [2, 3])
            tensors["scalar.\(dtype)"] = try sample(dtype, shape: [])
        }
        tensors["empty"] = try Tensor.zeros([0, 4])
        tensors["strided"] = try sample(.float32, shape: [3, 4]).transpose(0, 1)
        let metadata = ["format": "pt", "config": "{\"a\": [1, 2]}", "unicode": "ünï ✓"]
        let path = dir.appendingPathComponent("all.safetensors").path
        try SafeTensors.save(tensors, metadata: metadata, to: path)

        let file = try SafeTensorsFile(path: path)
        #expect(file.metadata == metadata)
        #expect(Set(file.entries.keys) == Set(tensors.keys))
        for (name, original) in tensors {
            let loaded = try file.tensor(name)
            try expectIdentical(loaded, try original.contiguous(), name)
            #expect(file.entries[name]?.dtype == original.dtype)
        }
        // The header length is a multiple of 8, as the format recommends for alignment.
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = raw.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
        let (all, meta) = try SafeTensors.load(path)
        #expect(all.count == tensors.count)
        #expect(meta == metadata)
        #expect(throws: TorchError.self) { try file.tensor("missing") }
    }

    @Test func readsPyTorchWrittenFile() throws {
        let file = try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("tiny2r_ln_blockgrad.safetensors").path)
        let config = try #require(file.metadata["config"])
        #expect(try JSONSerialization.jsonObject(with: Data(config.utf8)) is [String: Any])
        #expect(file.names.count == file.entries.count)
        #expect(file.entries.count > 50)
        var total = 0
        for name in file.names {
            let t = try file.tensor(name)
            let info = try #require(file.entries[name])
            #expect(t.shape == info.shape)
            #expect(t.dtype == info.dtype)
            total += info.range.count
        }
        #expect(try file.tensor("input.x").rank == 4)
        #expect(try file.tensor("input.x").isFinite().all().item() == 1)
        #expect(total > 500_000)
    }

    // MARK: corrupt files

    /// A file with the given header text and data bytes; the length field may lie.
    func write(_ name: String, in dir: URL, header: String, data: [UInt8] = [], claimedLength: UInt64? = nil) throws -> String {
        var bytes = Data()
        var length = claimedLength ?? UInt64(header.utf8.count)
        for _ in 0..<8 { bytes.append(UInt8(length & 0xff)); length >>= 8 }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: data)
        let url = dir.appendingPathComponent(name)
        try bytes.write(to: url)
        return url.path
    }

    static let corruptCases: [(String, String, Int, UInt64?)] = [
        // (name, header, data bytes, claimed header length)
        ("header length beyond file", #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 8, 4096),
        ("huge header length", #"{}"#, 0, UInt64.max),
        ("bad JSON", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]"#, 8, nil),
        ("JSON not an object", #"[1, 2, 3]"#, 0, nil),
        ("overlapping offsets", #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#, 24, nil),
        ("offsets beyond data", #"{"a":{"dtype":"F32","shape":[16],"data_offsets":[0,64]}}"#, 16, nil),
        ("size mismatch", #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, 16, nil),
        ("reversed offsets", #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, 8, nil),
        ("negative offset", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, 8, nil),
        ("enormous offset", #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,1e30]}}"#, 8, nil),
        ("enormous shape", #"{"a":{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}}"#, 8, nil),
        ("overflowing shape", #"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, 8, nil),
        ("negative shape", #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, 8, nil),
        ("unknown dtype", #"{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, 8, nil),
        ("missing offsets", #"{"a":{"dtype":"F32","shape":[1]}}"#, 8, nil),
        ("metadata not strings", #"{"__metadata__":{"k":3}}"#, 0, nil),
    ]

    @Test(arguments: 0..<corruptCases.count)
    func corruptFileThrows(index: Int) throws {
        let (name, header, dataCount, claimed) = Self.corruptCases[index]
        let (dir, cleanup) = try makeTemporaryDirectory()
        defer { cleanup() }
        let path = try write("bad.safetensors", in: dir, header: header, data: [UInt8](repeating: 7, count: dataCount),
                             claimedLength: claimed)
        let error = #expect(throws: TorchError.self, "\(name)") { try SafeTensorsFile(path: path) }
        #expect(error?.message.contains("invalid safetensors file") == true, "\(name): \(String(describing: error))")
    }

    @Test func emptyTensorsAtAnotherTensorsOffsetAreValid() throws {
        let (dir, cleanup) = try makeTemporaryDirectory()
        defer { cleanup() }
        // As PyTorch's writer lays them out: empty tensors share the offset of their neighbours.
        let header = #"{"e0":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""e1":{"dtype":"I64","shape":[3,0],"data_offsets":[8,8]},"b":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}}"#
        let path = try write("empty.safetensors", in: dir, header: header, data: [0, 0, 128, 63, 0, 0, 0, 64, 5, 6])
        let file = try SafeTensorsFile(path: path)
        #expect(try file.tensor("a").toArray() == [Float(1), 2])
        #expect(try file.tensor("b").toArray() == [UInt8(5), 6])
        #expect(try file.tensor("e1").shape == [3, 0])
        #expect(try file.tensor("e0").count == 0)
    }

    @Test func truncatedFilesThrow() throws {
        let (dir, cleanup) = try makeTemporaryDirectory()
        defer { cleanup() }
        let good = dir.appendingPathComponent("good.safetensors").path
        try SafeTensors.save(["w": try Tensor.ones([64])], to: good)
        #expect(try SafeTensorsFile(path: good).tensor("w").count == 64)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        for keep in [0, 5, 8, 20, bytes.count - 1] {
            let cut = dir.appendingPathComponent("cut\(keep).safetensors")
            try bytes.prefix(keep).write(to: cut)
            #expect(throws: TorchError.self, "kept \(keep) of \(bytes.count) bytes") { try SafeTensorsFile(path: cut.path) }
        }
        #expect(throws: TorchError.self) { try SafeTensorsFile(path: dir.appendingPathComponent("absent").path) }
    }

    @Test func atomicOverwriteLeavesNoTemporaryFiles() throws {
        let (dir, cleanup) = try makeTemporaryDirectory()
        defer { cleanup() }
        let path = dir.appendingPathComponent("model.safetensors").path
        try SafeTensors.save(["a": try Tensor.zeros([3])], metadata: ["v": "1"], to: path)
        try SafeTensors.save(["b": try Tensor.ones([2, 2])], metadata: ["v": "2"], to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
        let file = try SafeTensorsFile(path: path)
        #expect(file.metadata == ["v": "2"])
        #expect(Array(file.entries.keys) == ["b"])
        #expect(try file.tensor("b").toArray() == [Float](repeating: 1, count: 4))

        // A failing write keeps the old file and cleans up after itself.
        #expect(throws: TorchError.self) { try SafeTensors.save(["": try Tensor.zeros([1])], to: path) }
        #expect(throws: (any Error).self) {
            try AtomicFile.write(to: path) { _ in throw TorchError("interrupted") }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
        #expect(try SafeTensorsFile(path: path).metadata == ["v": "2"])
        #expect(throws: TorchError.self) {
            try SafeTensors.save(["a": try Tensor.zeros([1])], to: dir.appendingPathComponent("no/such/dir/x.safetensors").path)
        }
    }
}

@Suite("Weights format detection")
struct WeightsFormatTests {
    @Test("a safetensors file whose header length starts with byte 0x80 is safetensors, not a legacy pickle")
    func headerLengthStartingWith0x80() throws {
        // Pad the metadata until the JSON header is 0x180 bytes long: its little-endian length begins 80 01.
        var padding = ""
        var path = ""
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dimr-format-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for length in 0..<400 {
            padding = String(repeating: "x", count: length)
            path = directory.appendingPathComponent("w.safetensors").path
            try SafeTensors.save(["w": Tensor([Float(1), 2])], metadata: ["pad": padding], to: path)
            let head = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(9)
            if head.first == 0x80 { break }
        }
        let head = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(9)
        try #require(head.first == 0x80, "no padding gave a header length starting with 0x80")
        #expect(try WeightsFormat.detect(path: path) == .safeTensors)
        #expect(try SafeTensorsFile(path: path).tensor("w").toArray(Float.self) == [1, 2])
        // A legacy torch.save file (PROTO 2, then the pickled magic number) is still told as one.
        #expect(WeightsFormat.detect(head: Data([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9])) == .pytorchLegacy)
    }
}
