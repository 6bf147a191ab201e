import Foundation

/// Validation of a safetensors header, rule for rule as the reference reader does it.
enum SafeTensorsHeader {
    /// Parses the header of `data`: metadata, entries, and where the data section starts.
    static func parse(_ data: Data, name: String) throws -> ([String: String], [String: SafeTensorInfo], Int) {
        func fail(_ why: String) -> TorchError { TorchError("invalid safetensors file \(name): \(why)") }
        guard data.count >= 8 else { throw fail("\(data.count) bytes, too short for the 8-byte header length") }
        let declared = (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[data.startIndex + $1]) << (8 * UInt64($1)) }
        guard declared <= UInt64(SafeTensorsFile.maxHeaderSize) else {
            throw fail("header length \(declared) is over the limit of \(SafeTensorsFile.maxHeaderSize) bytes")
        }
        let length = Int(declared)
        guard length <= data.count - 8 else {
            throw fail("header claims \(length) bytes but the file has \(data.count - 8) after the length (truncated?)")
        }
        let headerEnd = 8 + length
        let header = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + headerEnd))
        guard String(data: header, encoding: .utf8) != nil else { throw fail("header is not valid UTF-8") }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let object = json as? [String: Any] else { throw fail("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [String: SafeTensorInfo] = [:]
        for (key, value) in object {
            if key == "__metadata__" {
                if value is NSNull { continue }
                guard let dict = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in dict {
                    guard let s = v as? String else { throw fail("metadata value of \(k) is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail("entry \(key) is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw fail("entry \(key) has no dtype string") }
            guard let dtype = DType(safetensorsName: dtypeName) else {
                throw fail("entry \(key) has unsupported dtype \(dtypeName)")
            }
            guard let shapeValues = entry["shape"] as? [Any] else { throw fail("entry \(key) has no shape list") }
            guard let offsetValues = entry["data_offsets"] as? [Any], offsetValues.count == 2 else {
                throw fail("entry \(key) has no data_offsets pair")
            }
            let shape = try shapeValues.map { try index($0, field: "shape of \(key)", fail: fail) }
            let begin = try index(offsetValues[0], field: "data_offsets of \(key)", fail: fail)
            let end = try index(offsetValues[1], field: "data_offsets of \(key)", fail: fail)
            guard begin <= end else { throw fail("data_offsets of \(key) are [\(begin), \(end)]: the end comes before the start") }
            // Products in UInt64 with checked arithmetic, as the reference does in usize.
            var elements: UInt64 = 1
            for d in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: UInt64(d))
                guard !overflow else { throw fail("shape \(shape) of \(key) overflows: more than 2^64 elements") }
                elements = product
            }
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: UInt64(dtype.byteSize))
            guard !overflow, bytes <= UInt64(Int.max) else {
                throw fail("shape \(shape) of \(key) overflows: \(elements) elements of \(dtype) are more than 2^63 bytes")
            }
            guard bytes == UInt64(end - begin) else {
                throw fail("entry \(key) has \(end - begin) bytes but shape \(shape) of \(dtype) needs \(bytes)")
            }
            entries[key] = SafeTensorInfo(dtype: dtype, shape: shape, range: begin..<end)
        }

        // Sorted by offsets, the ranges must tile the data section from 0 to its end.
        let dataLength = data.count - headerEnd
        let sorted = entries.sorted { ($0.value.range.lowerBound, $0.value.range.upperBound, $0.key)
                                      < ($1.value.range.lowerBound, $1.value.range.upperBound, $1.key) }
        var covered = 0
        var previous: String?
        for (key, info) in sorted {
            if info.range.lowerBound < covered, let previous {
                throw fail("entries \(previous) and \(key) overlap")
            }
            guard info.range.lowerBound == covered else {
                throw fail("bytes \(covered)..<\(info.range.lowerBound) of the data section belong to no tensor (before \(key))")
            }
            covered = info.range.upperBound
            previous = key
        }
        if covered > dataLength, let previous {
            throw fail("entry \(previous) ends at byte \(covered) but the data section has \(dataLength) bytes (truncated?)")
        }
        guard covered == dataLength else {
            throw fail("the data section has \(dataLength) bytes but the tensors cover only \(covered)")
        }
        return (metadata, entries, headerEnd)
    }

    /// A JSON number that is a non-negative integer within `Int`, as the reference's `usize` fields.
    private static func index(_ value: Any, field: String, fail: (String) -> TorchError) throws -> Int {
        guard let number = value as? NSNumber else { throw fail("\(field) holds \(value), not a number") }
        let kind = String(cString: number.objCType)
        switch kind {
        case "q", "l", "i", "s":
            guard number.int64Value >= 0, let n = Int(exactly: number.int64Value) else {
                throw fail("\(field) holds \(number.int64Value), a negative number")
            }
            return n
        case "Q", "L", "I", "S":
            guard let n = Int(exactly: number.uint64Value) else {
                throw fail("\(field) holds \(number.uint64Value), too large (the limit is 2^63 - 1)")
            }
            return n
        case "c", "C", "B":
            throw fail("\(field) holds \(number.boolValue), a boolean, not an integer")
        default:
            throw fail("\(field) holds \(number), not a non-negative integer below 2^63")
        }
    }
}
