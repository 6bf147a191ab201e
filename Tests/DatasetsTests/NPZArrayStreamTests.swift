import Foundation
import Testing
import Torch
@testable import Datasets

/// `NPZArrayStream`: blocks of rows equal the whole array, stored and deflated entries, and damaged files.
@Suite struct NPZArrayStreamTests {
    static let formats = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/formats").path

    @Test func blocksReassembleTheArray() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let images = try Tensor.randint(0, 256, [7, 3, 2, 3], generator: Generator(seed: 1)).to(.uint8)
        let path = folder + "/images.npz"
        try NPZ.write([("arr_0", images), ("arr_1", Tensor((0..<7).map(Int64.init)))], to: path)
        let stream = try NPZArrayStream(path: path, array: "arr_0")
        #expect(stream.shape == [7, 3, 2, 3] && stream.dtype == .uint8)
        var blocks: [Tensor] = []
        while let block = try stream.next(maxRows: 3) { blocks.append(block) }
        #expect(blocks.map { $0.size(0) } == [3, 3, 1])
        #expect(try Tensor.cat(blocks).bytes() == images.bytes())
        #expect(stream.remaining == 0)
        #expect(try NPZArrayStream.arrayNames(path: path) == ["arr_0", "arr_1"])
    }

    @Test func numpyStoredAndDeflatedArchivesRead() throws {
        for name in ["numpy_savez.npz", "numpy_savez_compressed.npz"] {
            let path = Self.formats + "/" + name
            let whole = try NPZ.read(path)
            for (array, value) in whole where !value.shape.isEmpty {
                let stream = try NPZArrayStream(path: path, array: array)
                var blocks: [Tensor] = []
                while let block = try stream.next(maxRows: 2) { blocks.append(block) }
                let joined = blocks.isEmpty ? try value.tensor() : try Tensor.cat(blocks)
                #expect(try joined.bytes() == value.tensor().bytes(), "\(name): \(array)")
            }
        }
    }

    @Test func damagedArchivesAreClearErrors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/a.npz"
        try NPZ.write([("arr_0", Tensor.ones([4, 2], dtype: .uint8))], to: path)
        #expect(throws: DatasetError.self) { _ = try NPZArrayStream(path: path, array: "arr_9") }
        do {
            _ = try NPZArrayStream(path: path, array: "arr_9")
        } catch let error as DatasetError {
            #expect(error.message.contains("no array arr_9 (arrays: arr_0)"))
        }
        // Flip one data byte: the CRC-32 check fails when the last rows are read.
        var bytes = try readBytes(path)
        let ones = [UInt8](repeating: 1, count: 8)
        guard let at = (0...(bytes.count - 8)).first(where: { Array(bytes[$0..<($0 + 8)]) == ones }) else {
            Issue.record("the array's bytes were not found")
            return
        }
        bytes[at + 7] = 2
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let stream = try NPZArrayStream(path: path, array: "arr_0")
        #expect(try stream.next(maxRows: 2) != nil)
        #expect(throws: DatasetError.self) { _ = try stream.next(maxRows: 2) }
        for hostile in ["stored-huge.npz", "zip64-offset.npz", "deflate-endless.npz"] {
            #expect(throws: DatasetError.self, "\(hostile)") {
                for name in try NPZArrayStream.arrayNames(path: Self.formats + "/" + hostile) {
                    _ = try NPZArrayStream(path: Self.formats + "/" + hostile, array: name)
                }
                throw DatasetError("no arrays")
            }
        }
    }
}
