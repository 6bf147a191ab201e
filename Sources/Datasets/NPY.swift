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

    /// An array from its parts; the byte count must match the shape (a precondition).
    public init(dtype: DType, shape: [Int], data: [UInt8]) {
        let needed = NPY.byteCount(shape: shape, dtype: dtype)
        precondition(needed == data.count, "shape \(shape) of \(dtype) needs \(needed.map(String.init) ?? "more than 2^63") bytes, got \(data.count)")
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
    ///
    /// Throws `DatasetError` naming `what`: bad magic or version, a header that is not the dict
    /// NumPy writes, an unsupported type, Fortran order, a shape whose byte count overflows, or a data
    /// size that differs from the shape's (checked before any copy).
    public init<C: RandomAccessCollection<UInt8>>(parsing bytes: C, what: String = "npy data") throws {
        let header = try NPYHeader.parse(bytes, what: what)
        guard bytes.count - header.dataStart == header.byteCount else {
            throw DatasetError("\(what): shape \(header.shape) of \(header.dtype) needs \(header.byteCount) data bytes, found \(bytes.count - header.dataStart)")
        }
        self.init(dtype: header.dtype, shape: header.shape, data: Array(bytes.dropFirst(header.dataStart)))
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

    /// Parses a whole `.npy` file (the entry point for fuzzing); see `NPYArray(parsing:what:)`.
    public static func parse(_ bytes: [UInt8], what: String = "npy data") throws -> NPYArray {
        try NPYArray(parsing: bytes, what: what)
    }

    /// Bytes taken by `shape` of `dtype`, or nil when a dimension is negative or the count overflows.
    public static func byteCount(shape: [Int], dtype: DType) -> Int? {
        guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
        if shape.contains(0) { return 0 }
        var count = dtype.byteSize
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }
}
