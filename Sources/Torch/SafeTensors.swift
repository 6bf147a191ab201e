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
/// Validation rejects what could make a reader go wrong: a header longer than the file, malformed
/// JSON, unknown dtypes, byte ranges outside the data section or overlapping each other, and byte
/// counts that do not match shape and dtype.
public final class SafeTensorsFile: @unchecked Sendable {
    /// The string metadata (`__metadata__`).
    public let metadata: [String: String]
    /// Tensor entries by name.
    public let entries: [String: SafeTensorInfo]
    /// Where the file was read from.
    public let path: String
    private let data: Data
    private let dataStart: Int

    /// Tensor names in file order of their data.
    public var names: [String] { entries.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }.map(\.key) }

    /// Opens and validates `path`.
    public init(path: String) throws {
        self.path = path
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw TorchError("cannot read safetensors file \(path): \(error.localizedDescription)")
        }
        (metadata, entries, dataStart) = try SafeTensorsFile.parseHeader(data, path: path)
    }

    private static func parseHeader(_ data: Data, path: String) throws -> ([String: String], [String: SafeTensorInfo], Int) {
        func fail(_ why: String) -> TorchError { TorchError("invalid safetensors file \(path): \(why)") }
        guard data.count >= 8 else { throw fail("\(data.count) bytes, too short for a header") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header claims \(headerLength) bytes but the file has \(data.count - 8) after the length (truncated?)")
        }
        let headerEnd = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd))
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let object = json as? [String: Any] else { throw fail("header is not a JSON object") }
        let dataLength = data.count - headerEnd
        var metadata: [String: String] = [:]
        var entries: [String: SafeTensorInfo] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let dict = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in dict {
                    guard let s = v as? String else { throw fail("metadata value of \(k) is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtypeName = entry["dtype"] as? String,
                  let shapeValues = entry["shape"] as? [Any],
                  let offsets = entry["data_offsets"] as? [Any], offsets.count == 2
            else { throw fail("entry \(name) lacks dtype, shape or data_offsets") }
            guard let dtype = DType(safetensorsName: dtypeName) else { throw fail("entry \(name) has unsupported dtype \(dtypeName)") }
            let shape = try shapeValues.map { v -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0 else { throw fail("entry \(name) has a bad shape") }
                return n
            }
            guard let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue,
                  begin >= 0, begin <= end
            else { throw fail("entry \(name) has bad data_offsets") }
            guard end <= dataLength else {
                throw fail("entry \(name) ends at byte \(end) but the data section has \(dataLength) bytes (truncated?)")
            }
            let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                let (m, o) = acc.0.multipliedReportingOverflow(by: d)
                return (m, acc.1 || o)
            }
            let (bytes, overflow2) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, !overflow2, bytes == end - begin else {
                throw fail("entry \(name) has \(end - begin) bytes but shape \(shape) of \(dtype) needs \(elements * dtype.byteSize)")
            }
            entries[name] = SafeTensorInfo(dtype: dtype, shape: shape, range: begin..<end)
        }
        // Empty tensors occupy no bytes and so overlap nothing, even where their offset falls inside another's range.
        let sorted = entries.filter { !$0.value.range.isEmpty }.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.value.range.upperBound > b.value.range.lowerBound {
            throw fail("entries \(a.key) and \(b.key) overlap")
        }
        return (metadata, entries, headerEnd)
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

/// Writing safetensors files.
public enum SafeTensors {
    /// Reads a whole file: its tensors and metadata.
    public static func load(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let file = try SafeTensorsFile(path: path)
        return (try file.tensors(), file.metadata)
    }

    /// Writes `tensors` and `metadata` to `path` atomically: a temporary file is written and
    /// synced, then renamed over `path`, so a crash leaves either the old file or the new one.
    public static func save(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let names = tensors.keys.sorted()
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        var payloads: [(String, Tensor)] = []
        for name in names {
            guard let t = tensors[name] else { continue }
            guard !name.isEmpty, name != "__metadata__" else { throw TorchError("invalid tensor name \"\(name)\"") }
            let bytes = t.count * t.dtype.byteSize
            header[name] = ["dtype": t.dtype.safetensorsName, "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
            payloads.append((name, t))
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var prefix = Data()
        var length = UInt64(json.count)
        for _ in 0..<8 { prefix.append(UInt8(length & 0xff)); length >>= 8 }
        try AtomicFile.write(to: path) { handle in
            handle.write(prefix)
            handle.write(json)
            for (_, t) in payloads { handle.write(Data(try t.bytes())) }
        }
    }
}

/// Atomic file replacement: write to a temporary file beside the target, fsync, rename, fsync the folder.
public enum AtomicFile {
    /// Writes through `body` into a temporary file that replaces `path` only once complete and synced.
    public static func write(to path: String, _ body: (FileHandle) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let tmp = "\(dir)/.\(url.lastPathComponent).tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: nil) else {
            throw TorchError("cannot create \(tmp): check that \(dir) exists and is writable")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp))
            do {
                try body(handle)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(tmp, path) == 0 else { throw TorchError("cannot rename \(tmp) to \(path): errno \(errno)") }
        } catch {
            unlink(tmp)
            throw error
        }
        let fd = open(dir, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
