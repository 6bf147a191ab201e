import Foundation
import Testing
@testable import Torch

/// A `.pth` fixture written by scripts/refs/pth_refs.py.
private func fixture(_ name: String) -> String { fixturesDirectory.appendingPathComponent("pth/\(name)").path }

/// Mapped storages are copied a chunk at a time (their pages released after each chunk) and checked
/// against their CRC-32 at the end; chunks far smaller than the fixtures' storages exercise the joins.
@Suite("PyTorch checkpoints copied in chunks")
struct PyTorchCheckpointChunkTests {
    @Test("storages copied in chunks of 1, 3 and 8 bytes load byte for byte",
          arguments: [("plain.pth", 1), ("plain.pth", 3), ("views.pth", 3), ("views.pth", 8)])
    func smallChunks(file: String, chunk: Int) throws {
        let whole = try PyTorchCheckpoint(path: fixture(file))  // default chunk: one chunk per storage here
        let chunked = try PyTorchCheckpoint(path: fixture(file), copyChunk: chunk)
        #expect(chunked.tensors.map(\.name) == whole.tensors.map(\.name))
        let expected = try SafeTensorsFile(path: fixture("expected.safetensors"))
        for (name, tensor) in chunked.tensors {
            let reference = try expected.tensor("\(file)/\(name)")
            #expect(tensor.shape == reference.shape && tensor.dtype == reference.dtype, "\(file)/\(name)")
            #expect(try tensor.contiguous().bytes() == reference.bytes(), "\(file)/\(name) values with chunks of \(chunk)")
        }
    }

    @Test("a storage whose bytes do not match its CRC-32 is refused, naming the file and the storage")
    func corruptStorage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pth-crc-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("corrupt.pth").path
        var bytes = try Data(contentsOf: URL(fileURLWithPath: fixture("plain.pth")))
        let zip = try ZipReader(data: bytes)
        let entry = try #require(zip.entries.first { $0.name.hasSuffix("/data/0") })
        let range = try zip.storedRange(of: entry)
        bytes[range.lowerBound + range.count / 2] ^= 0x40  // one bit of the first storage, inside its data
        try bytes.write(to: URL(fileURLWithPath: path))
        for chunk in [3, ArchiveReader.defaultCopyChunk] {
            #expect {
                _ = try PyTorchCheckpoint(path: path, copyChunk: chunk)
            } throws: { error in
                let message = "\(error)"
                return message.contains("CRC mismatch") && message.contains("storage 0") && message.contains(path)
            }
        }
    }
}
