import Foundation
import Torch

/// An array in NumPy's `.npy` format: element type, shape and little-endian C-order bytes.
public struct NPYArray: Sendable, Equatable {
    /// The element type.
    public let dtype: DType
    /// Size of each dimension (empty for a scalar).
    public let shape: [Int]
    /// The elements, little-endian, C order.
    public let data: [UInt8]

    /// An array from its parts; the byte count must match the shape.
    public init(dtype: DType, shape: [Int], data: [UInt8]) {
        precondition(data.count == shape.reduce(1, *) * dtype.byteSize,
                     "shape \(shape) of \(dtype) needs \(shape.reduce(1, *) * dtype.byteSize) bytes, got \(data.count)")
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// The bytes and shape of a tensor (copied to the CPU).
    public init(_ tensor: Tensor) throws {
        _ = try NPY.descriptor(tensor.dtype)
        self.init(dtype: tensor.dtype, shape: tensor.shape, data: try tensor.contiguous().bytes())
    }

    /// The array as a CPU tensor.
    public func tensor() throws -> Tensor {
        try data.withUnsafeBytes { try Tensor.fromBytes($0, shape: shape, dtype: dtype) }
    }

    /// The full `.npy` file: header then data.
    public func encoded() throws -> [UInt8] { try NPY.header(dtype: dtype, shape: shape) + data }

    /// Parses a `.npy` file (format versions 1 to 3, little-endian or byte-sized types, C order).
    public init(parsing bytes: [UInt8], what: String = "npy data") throws {
        let (dtype, shape, start) = try NPY.parseHeader(bytes, what: what)
        let size = shape.reduce(1, *) * dtype.byteSize
        guard bytes.count - start == size else {
            throw DatasetError("\(what): shape \(shape) of \(dtype) needs \(size) data bytes, found \(bytes.count - start)")
        }
        self.init(dtype: dtype, shape: shape, data: Array(bytes[start...]))
    }
}

/// Helpers for the `.npy` header.
public enum NPY {
    /// The six bytes every `.npy` file starts with.
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// NumPy's type string for a dtype (`|u1`, `<i8`, `<f4`, ...).
    public static func descriptor(_ dtype: DType) throws -> String {
        switch dtype {
        case .uint8: "|u1"
        case .bool: "|b1"
        case .int32: "<i4"
        case .int64: "<i8"
        case .float16: "<f2"
        case .float32: "<f4"
        case .float64: "<f8"
        case .bfloat16: throw DatasetError("NumPy has no bfloat16 type; convert the tensor to float32 first")
        }
    }

    /// A version 1.0 header (magic, version, length, dict padded with spaces to a multiple of 64 bytes).
    public static func header(dtype: DType, shape: [Int]) throws -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(try descriptor(dtype))', 'fortran_order': False, 'shape': \(dims), }"
        let unpadded = magic.count + 2 + 2 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = dict.utf8.count
        precondition(length <= Int(UInt16.max), "npy header too long for format 1.0")
        return magic + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + Array(dict.utf8)
    }

    /// Parses a header, returning the dtype, the shape and where the data starts.
    static func parseHeader(_ bytes: [UInt8], what: String) throws -> (DType, [Int], Int) {
        func fail(_ why: String) -> DatasetError { DatasetError("\(what): \(why)") }
        guard bytes.count >= 10 else { throw fail("truncated npy file (\(bytes.count) bytes)") }
        guard Array(bytes.prefix(6)) == magic else { throw fail("not an npy file (bad magic)") }
        let major = bytes[6]
        let lengthSize = major == 1 ? 2 : 4
        guard (1...3).contains(major) else { throw fail("unsupported npy format version \(major).\(bytes[7])") }
        guard bytes.count >= 8 + lengthSize else { throw fail("truncated npy header") }
        var length = 0
        for i in 0..<lengthSize { length |= Int(bytes[8 + i]) << (8 * i) }
        let start = 8 + lengthSize + length
        guard bytes.count >= start else { throw fail("truncated npy header (\(length) bytes declared)") }
        let text = String(decoding: bytes[(8 + lengthSize)..<start], as: UTF8.self)

        guard let descr = value(of: "descr", in: text).flatMap({ quoted($0) }) else {
            throw fail("npy header has no 'descr': \(text)")
        }
        let types: [String: DType] = ["|u1": .uint8, "<u1": .uint8, "u1": .uint8, "|b1": .bool, "<i4": .int32,
                                      "<i8": .int64, "<f2": .float16, "<f4": .float32, "<f8": .float64]
        guard let dtype = types[descr] else { throw fail("unsupported npy element type '\(descr)'") }
        guard let order = value(of: "fortran_order", in: text) else { throw fail("npy header has no 'fortran_order'") }
        guard order.hasPrefix("False") else { throw fail("Fortran-order npy arrays are not supported") }
        guard let shapeText = value(of: "shape", in: text), shapeText.hasPrefix("("),
              let close = shapeText.firstIndex(of: ")") else {
            throw fail("npy header has no 'shape': \(text)")
        }
        var shape: [Int] = []
        for part in shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let size = Int(trimmed.hasSuffix("L") ? String(trimmed.dropLast()) : trimmed), size >= 0 else {
                throw fail("invalid npy shape \(shapeText[...close])")
            }
            shape.append(size)
        }
        return (dtype, shape, start)
    }

    /// The text after `'key':` in a header dict, leading spaces removed.
    private static func value(of key: String, in text: String) -> Substring? {
        for quote in ["'", "\""] {
            if let range = text.range(of: "\(quote)\(key)\(quote):") {
                return text[range.upperBound...].drop(while: { $0 == " " })
            }
        }
        return nil
    }

    /// The contents of a quoted string at the start of `text`.
    private static func quoted(_ text: Substring) -> String? {
        guard let quote = text.first, quote == "'" || quote == "\"" else { return nil }
        let rest = text.dropFirst()
        guard let end = rest.firstIndex(of: quote) else { return nil }
        return String(rest[..<end])
    }
}
