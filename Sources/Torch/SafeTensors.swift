import Foundation

/// Shape, dtype and byte range of one tensor in a safetensors file.
public struct SafeTensorInfo: Sendable, Equatable {
    /// Element type.
    public let dtype: DType
    /// Dimensions.
    public let shape: [Int]
    /// Byte range inside the data section.
    public let range: Range<Int>
}

/// A safetensors file opened for reading; the header is validated on open, tensors are read on demand.
///
/// Validation follows the reference reader (the `safetensors` Rust crate behind the Python package):
/// a header of at most 100,000,000 bytes that fits in the file and is a JSON object; shapes and
/// `data_offsets` made of non-negative JSON integers (`1.0` and `true` are refused); known dtypes;
/// shape products that do not overflow and match each tensor's byte count; byte ranges that, sorted,
/// cover the data section exactly, without gap or overlap.
public final class SafeTensorsFile: @unchecked Sendable {
    /// The reference reader's limit on the header length, in bytes.
    public static let maxHeaderSize = 100_000_000

    /// The string metadata (`__metadata__`).
    public let metadata: [String: String]
    /// Tensor entries by name.
    public let entries: [String: SafeTensorInfo]
    /// Where the file was read from (or the name given to in-memory bytes).
    public let path: String
    private let data: Data
    private let dataStart: Int

    /// Tensor names in file order of their data.
    public var names: [String] {
        entries.sorted { ($0.value.range.lowerBound, $0.value.range.upperBound, $0.key) < ($1.value.range.lowerBound, $1.value.range.upperBound, $1.key) }
            .map(\.key)
    }

    /// Opens and validates `path` (mapped, not copied).
    ///
    /// Throws `TorchError` naming the file: unreadable file, or any of the faults listed on the type.
    public convenience init(path: String) throws {
        try self.init(data: MappedFile.read(path), name: path)
    }

    /// Validates safetensors bytes held in memory; `name` stands for them in error messages.
    public init(data: Data, name: String = "safetensors data") throws {
        path = name
        self.data = data
        (metadata, entries, dataStart) = try SafeTensorsHeader.parse(data, name: name)
    }

    /// Reads one tensor into a new CPU tensor.
    public func tensor(_ name: String) throws -> Tensor {
        guard let info = entries[name] else { throw TorchError("\(path) has no tensor named \(name)") }
        let start = dataStart + info.range.lowerBound
        return try data.withUnsafeBytes { raw in
            let slice = UnsafeRawBufferPointer(rebasing: raw[start..<(start + info.range.count)])
            return try Tensor.fromBytes(slice, shape: info.shape, dtype: info.dtype)
        }
    }

    /// Reads every tensor.
    public func tensors() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for name in entries.keys { out[name] = try tensor(name) }
        return out
    }
}

/// Reading and writing safetensors files.
public enum SafeTensors {
    /// Reads a whole file: its tensors and metadata.
    public static func load(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let file = try SafeTensorsFile(path: path)
        return (try file.tensors(), file.metadata)
    }

    /// Validates safetensors bytes (the entry point for fuzzing); throws `TorchError` on any fault.
    public static func parse(_ bytes: [UInt8]) throws -> SafeTensorsFile {
        try SafeTensorsFile(data: Data(bytes))
    }

    /// Writes `tensors` and `metadata` to `path` atomically (see `AtomicFile`): a crash leaves
    /// either the old file or the new one.
    ///
    /// Throws on an invalid tensor name and on any failed write ("cannot write PATH: No space left
    /// on device"), removing the temporary file.
    public static func save(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let names = tensors.keys.sorted()
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        var payloads: [Tensor] = []
        for name in names {
            guard let t = tensors[name] else { continue }
            guard !name.isEmpty, name != "__metadata__" else { throw TorchError("invalid tensor name \"\(name)\"") }
            let bytes = t.count * t.dtype.byteSize
            header[name] = ["dtype": t.dtype.safetensorsName, "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
            payloads.append(t)
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var prefix: [UInt8] = []
        var length = UInt64(json.count)
        for _ in 0..<8 { prefix.append(UInt8(length & 0xff)); length >>= 8 }
        try AtomicFile.write(to: path) { file in
            try file.write(prefix)
            try file.write(json)
            for t in payloads { try file.write(try t.bytes()) }
        }
    }
}
