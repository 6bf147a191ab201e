import Foundation
import Testing
@testable import Torch

/// Hostile safetensors headers and failing writes: each must give a thrown error naming the fault.
/// Which headers are refused or accepted was checked against the reference (Python safetensors 0.8.0).
@Suite("safetensors: hostile headers, the reference reader's rules, failing writes")
struct SafeTensorsHostileTests {
    /// The bytes of a file with `header` and `data`; the length field may lie.
    func file(_ header: String, data: [UInt8] = [], claimedLength: UInt64? = nil) -> [UInt8] {
        let length = claimedLength ?? UInt64(header.utf8.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + Array(header.utf8) + data
    }

    /// The message thrown when parsing `bytes` (nil when it parses).
    func failure(_ bytes: [UInt8]) -> String? {
        do {
            _ = try SafeTensors.parse(bytes)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func sharedCaseShapeOverflowIsAnError() throws {
        let path = fixturesDirectory.appendingPathComponent("cases/safetensors-shape-overflow.safetensors").path
        let error = #expect(throws: TorchError.self) { try SafeTensorsFile(path: path) }
        #expect(error?.message.contains("invalid safetensors file \(path)") == true)
        #expect(error?.message.contains("overflows") == true, "\(String(describing: error))")
    }

    static let rejected: [(header: String, data: Int, says: String)] = [
        // Numbers that are not non-negative integers, as the reference's `usize` fields refuse them.
        (#"{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, 4, "a boolean"),
        (#"{"a":{"dtype":"F32","shape":[false],"data_offsets":[0,0]}}"#, 0, "a boolean"),
        (#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, 4, "not a non-negative integer"),
        (#"{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}"#, 4, "not a non-negative integer"),
        (#"{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}"#, 4, "not a number"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0.0,4]}}"#, 4, "not a non-negative integer"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[false,4]}}"#, 4, "a boolean"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,true]}}"#, 1, "a boolean"),
        (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, 4, "negative"),
        (#"{"a":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]}}"#, 4, "too large"),
        (#"{"a":{"dtype":"F32","shape":[46116860184273879052],"data_offsets":[0,4]}}"#, 4, "not a non-negative integer"),
        // Shape products past 2^63 elements or bytes: errors, never traps.
        (#"{"a":{"dtype":"F32","shape":[4611686018427387905,2],"data_offsets":[0,0]}}"#, 0, "overflows"),
        (#"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, 8, "overflows"),
        (#"{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}"#, 8, "overflows"),
        (#"{"a":{"dtype":"F32","shape":[8589934592,8589934592,0],"data_offsets":[0,0]}}"#, 0, "overflows"),
        // Coverage of the data section, as the reference checks it.
        (#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, 4, "belong to no tensor"),
        (#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}}"#, 5, "belong to no tensor"),
        (#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, 4, "overlap"),
        (#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, 3, "cover only 2"),
        (#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, 2, "truncated"),
        (#"{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}"#, 4, "before the start"),
        // Header framing.
        (#"{} x"#, 0, "not valid JSON"),
        (#"{"a":1}"#, 0, "not an object"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, 4, "data_offsets pair"),
        (#"{"__metadata__":[1]}"#, 0, "__metadata__"),
    ]

    @Test(arguments: 0..<rejected.count)
    func rejectedHeader(index: Int) {
        let (header, data, says) = Self.rejected[index]
        let message = failure(file(header, data: [UInt8](repeating: 0, count: data)))
        #expect(message?.contains("invalid safetensors file") == true, "\(header): \(String(describing: message))")
        #expect(message?.contains(says) == true, "\(header): expected '\(says)' in \(String(describing: message))")
    }

    @Test func headerLengthsBeyondTheFileOrTheLimit() {
        let header = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#
        #expect(failure(file(header, data: [1])) == nil)
        for claimed: UInt64 in [UInt64(header.utf8.count + 2), 1 << 32, UInt64(Int.max), UInt64.max] {
            let message = failure(file(header, data: [1], claimedLength: claimed))
            #expect(message?.contains("header") == true, "claimed \(claimed): \(String(describing: message))")
        }
        let limit = UInt64(SafeTensorsFile.maxHeaderSize) + 1
        #expect(failure(file(header, data: [1], claimedLength: limit))?.contains("over the limit") == true)
        #expect(failure(Array(file(header).prefix(5)))?.contains("too short") == true)
        #expect(failure(file("{\u{FFFD}}").map { $0 == 0xEF ? 0xFF : $0 })?.contains("UTF-8") == true)
    }

    @Test func acceptedEdgeCases() throws {
        // Empty tensors at the running offset, a null metadata, unknown fields ignored, spaces around.
        let header = #" {"__metadata__":null,"z":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0],"extra":1},"#
            + #""s":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}    "#
        let parsed = try SafeTensors.parse(file(header, data: [42, 0, 0, 0, 0, 0, 0, 0]))
        #expect(try parsed.tensor("s").toArray() == [Int64(42)])
        #expect(try parsed.tensor("z").shape == [0, 5])
        #expect(parsed.metadata.isEmpty)
        #expect(parsed.names == ["z", "s"])
        // The product is taken in order in UInt64, as the reference does: it stays in range before the 0.
        let empty = #"{"e":{"dtype":"F32","shape":[3037000500,3037000500,0],"data_offsets":[0,0]}}"#
        #expect(try SafeTensors.parse(file(empty)).entries["e"]?.shape == [3037000500, 3037000500, 0])
    }

    @Test func writeFailuresSayWhyInPlainWords() throws {
        // /dev/full fails every write with ENOSPC, as a full disk does.
        let fd = open("/dev/full", O_WRONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        let writer = FileWriter(descriptor: fd, name: "model.safetensors")
        let error = #expect(throws: TorchError.self) { try writer.write([UInt8](repeating: 1, count: 100)) }
        #expect(error?.message == "cannot write model.safetensors: No space left on device")
        #expect(writer.count == 0)
    }

    @Test func failedWritesLeaveNoTemporaryFile() throws {
        let (dir, cleanup) = try makeTemporaryDirectory()
        defer { cleanup() }
        let path = dir.appendingPathComponent("m.safetensors").path
        // A body that fails half-way, as a write hitting a full disk does.
        let error = #expect(throws: TorchError.self) {
            try AtomicFile.write(to: path) { file in
                try file.write([1, 2, 3])
                throw TorchError("cannot write \(path): No space left on device")
            }
        }
        #expect(error?.message.hasSuffix("No space left on device") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)

        let missing = dir.appendingPathComponent("absent/m.safetensors").path
        let folderError = #expect(throws: TorchError.self) { try SafeTensors.save(["a": try Tensor.zeros([1])], to: missing) }
        #expect(folderError?.message.contains("cannot write \(missing)") == true)
        #expect(folderError?.message.contains("No such file or directory") == true)
        #expect(folderError?.message.contains("Domain") == false)

        let unreadable = #expect(throws: TorchError.self) { try SafeTensorsFile(path: missing) }
        #expect(unreadable?.message == "cannot read \(missing): No such file or directory")
    }

    @Test func staleTemporaryFilesOfDeadWritersAreRemoved() throws {
        let (dir, cleanup) = try makeTemporaryDirectory()
        defer { cleanup() }
        // PIDs past the kernel's limit (at most 2^22) belong to no process; our own PID is alive.
        let stale = ".m.safetensors.tmp-99999999-7", live = ".m.safetensors.tmp-\(getpid())-7"
        for name in [stale, live, "m.safetensors", ".hidden"] {
            #expect(FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data([1])))
        }
        #expect(AtomicFile.removeStaleTemporaryFiles(in: dir.path) == [stale])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == [live, "m.safetensors", ".hidden"])
    }
}
