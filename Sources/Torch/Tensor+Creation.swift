import CTorch

extension Tensor {
    /// A tensor of the given shape filled with `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try device.validate()
        return try withInt64s(shape) { try wrap(ct_full($0, $1, value, dtype.rawValue, device.typeCode, device.index)) }
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, 0, dtype: dtype, device: device)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, 1, dtype: dtype, device: device)
    }

    /// An uninitialised tensor.
    public static func empty(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try device.validate()
        return try withInt64s(shape) { try wrap(ct_empty($0, $1, dtype.rawValue, device.typeCode, device.index)) }
    }

    /// Values from `start` up to (not including) `end` in steps of `step`, as `torch.arange`.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .int64,
                              device: Device = .cpu) throws -> Tensor {
        try device.validate()
        return try wrap(ct_arange(start, end, step, dtype.rawValue, device.typeCode, device.index))
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive, as `torch.linspace`.
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32,
                                device: Device = .cpu) throws -> Tensor {
        try device.validate()
        return try wrap(ct_linspace(start, end, Int64(steps), dtype.rawValue, device.typeCode, device.index))
    }

    /// A 0-dimensional tensor holding one value.
    public static func scalar(_ value: Double, dtype: DType = .float32) throws -> Tensor {
        try wrap(ct_scalar_tensor(value, dtype.rawValue))
    }

    /// A CPU tensor holding a copy of `values` with the given shape (a 1-D tensor when `shape` is nil).
    public convenience init<T: TensorScalar>(_ values: [T], shape: [Int]? = nil) throws {
        let shape = shape ?? [values.count]
        let handle = try values.withUnsafeBytes { bytes in
            try withInt64s(shape) { dims, n in
                guard let h = ct_from_bytes(bytes.baseAddress, bytes.count, dims, n, T.dtype.rawValue) else {
                    throw TorchError("cannot make a tensor of shape \(shape) from \(values.count) values: \(TorchError.last())")
                }
                return h
            }
        }
        self.init(owning: handle)
    }

    /// A CPU tensor whose bytes are copied from `bytes` (little-endian, C order).
    public static func fromBytes(_ bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws -> Tensor {
        try withInt64s(shape) { try wrap(ct_from_bytes(bytes.baseAddress, bytes.count, $0, $1, dtype.rawValue)) }
    }

    /// The elements in C order, as Swift values of the tensor's own element type.
    public func toArray<T: TensorScalar>(_ type: T.Type = T.self) throws -> [T] {
        guard dtype == T.dtype else {
            throw TorchError("tensor of dtype \(dtype) read as \(T.self); convert with to(.\(T.dtype)) first")
        }
        let n = count
        return try [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            try check(ct_copy_to_bytes(handle, UnsafeMutableRawPointer(buffer.baseAddress), n * dtype.byteSize))
            initialized = n
        }
    }

    /// The raw bytes in C order (copied to the CPU first if needed).
    public func bytes() throws -> [UInt8] {
        let n = count * dtype.byteSize
        return try [UInt8](unsafeUninitializedCapacity: n) { buffer, initialized in
            try check(ct_copy_to_bytes(handle, buffer.baseAddress, n))
            initialized = n
        }
    }

    /// The single value of a one-element tensor as a `Double`.
    public func item() throws -> Double {
        var value = 0.0
        try check(ct_item_double(handle, &value))
        return value
    }

    /// The single value of a one-element integer tensor.
    public func itemInt() throws -> Int {
        var value: Int64 = 0
        try check(ct_item_int64(handle, &value))
        return Int(value)
    }

    /// A copy converted to another dtype and/or device; returns a tensor sharing data when nothing changes.
    public func to(_ dtype: DType? = nil, device: Device? = nil, copy: Bool = false) throws -> Tensor {
        let device = device ?? self.device
        try device.validate()
        return try wrap(ct_to(handle, (dtype ?? self.dtype).rawValue, device.typeCode, device.index, copy ? 1 : 0))
    }

    /// A copy with its own storage.
    public func clone() throws -> Tensor { try wrap(ct_clone(handle)) }

    /// A tensor sharing data but cut from autograd history.
    public func detach() throws -> Tensor { try wrap(ct_detach(handle)) }

    /// Copies `source` into this tensor in place (broadcasting, without recording autograd history).
    public func copy_(_ source: Tensor) throws { try check(ct_copy_(handle, source.handle)) }

    /// Fills this tensor with `value` in place.
    public func fill_(_ value: Double) throws { try check(ct_fill_(handle, value)) }

    /// Sets every element to zero in place.
    public func zero_() throws { try check(ct_zero_(handle)) }

    /// In place `self += alpha * other`, outside autograd.
    public func add_(_ other: Tensor, alpha: Double = 1) throws { try check(ct_add_(handle, other.handle, alpha)) }

    /// In place `self *= s`, outside autograd.
    public func mul_(_ s: Double) throws { try check(ct_mul_scalar_(handle, s)) }

    /// In place `self += weight * (end - self)`, outside autograd.
    public func lerp_(_ end: Tensor, weight: Double) throws { try check(ct_lerp_(handle, end.handle, weight)) }
}
