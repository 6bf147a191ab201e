import CTorch

/// An n-dimensional array on libtorch; owns one libtorch tensor handle.
///
/// Tensors are reference types that share storage the way PyTorch tensors do: views share
/// memory with their base, and every operation returns a new `Tensor`.
public final class Tensor: @unchecked Sendable {
    let handle: OpaquePointer

    /// Takes ownership of a handle returned by CTorch.
    init(owning handle: OpaquePointer) { self.handle = handle }

    deinit { ct_free(handle) }

    /// Number of dimensions.
    public var rank: Int { Int(ct_dim(handle)) }

    /// Size of each dimension.
    public var shape: [Int] {
        let n = rank
        return [Int](unsafeUninitializedCapacity: n) { buffer, count in
            buffer.withMemoryRebound(to: Int64.self) { _ = ct_sizes(handle, $0.baseAddress) }
            count = n
        }
    }

    /// Element strides of each dimension.
    public var strides: [Int] {
        let n = rank
        return [Int](unsafeUninitializedCapacity: n) { buffer, count in
            buffer.withMemoryRebound(to: Int64.self) { _ = ct_strides(handle, $0.baseAddress) }
            count = n
        }
    }

    /// Size of one dimension; negative indices count from the end.
    public func size(_ dim: Int) -> Int {
        let s = shape
        let d = dim < 0 ? dim + s.count : dim
        precondition(d >= 0 && d < s.count, "dimension \(dim) out of range for a tensor of rank \(s.count)")
        return s[d]
    }

    /// Total number of elements.
    public var count: Int { Int(ct_numel(handle)) }

    /// Element type.
    public var dtype: DType {
        let code = ct_dtype(handle)
        guard let dtype = DType(rawValue: code) else { preconditionFailure("unsupported libtorch scalar type \(code)") }
        return dtype
    }

    /// Device holding the data.
    public var device: Device {
        ct_device_type(handle) == 1 ? .cuda(Int(ct_device_index(handle))) : .cpu
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        var text = "Tensor(shape: \(shape), dtype: \(dtype), device: \(device)"
        if count <= 16, let values = try? to(.float64).toArray() as [Double] {
            text += ", values: \(values)"
        }
        return text + ")"
    }
}
