import CTorch

extension Tensor {
    /// The same elements in a new shape (a view when possible); one dimension may be -1.
    public func reshape(_ shape: [Int]) throws -> Tensor {
        try withInt64s(shape) { try wrap(ct_reshape(handle, $0, $1)) }
    }

    /// A view with a new shape; fails when the strides do not allow it.
    public func view(_ shape: [Int]) throws -> Tensor {
        try withInt64s(shape) { try wrap(ct_view(handle, $0, $1)) }
    }

    /// Reorders dimensions.
    public func permute(_ dims: [Int]) throws -> Tensor {
        try withInt64s(dims) { try wrap(ct_permute(handle, $0, $1)) }
    }

    /// Swaps two dimensions.
    public func transpose(_ d0: Int, _ d1: Int) throws -> Tensor {
        try wrap(ct_transpose(handle, Int64(d0), Int64(d1)))
    }

    /// A view of this tensor's storage with the given shape, strides (in elements) and element offset,
    /// as `torch.as_strided`. libtorch checks that the view stays inside the storage.
    public func asStrided(_ shape: [Int], strides: [Int], offset: Int = 0) throws -> Tensor {
        precondition(shape.count == strides.count, "asStrided takes one stride per dimension")
        return try withInt64s(shape) { sizes, n in
            try withInt64s(strides) { steps, _ in try wrap(ct_as_strided(handle, sizes, steps, n, Int64(offset))) }
        }
    }

    /// A tensor with C-contiguous memory (self when already so).
    public func contiguous() throws -> Tensor { try wrap(ct_contiguous(handle)) }

    /// Broadcasts size-1 dimensions to `shape` without copying (-1 keeps a size).
    public func expand(_ shape: [Int]) throws -> Tensor {
        try withInt64s(shape) { try wrap(ct_expand(handle, $0, $1)) }
    }

    /// Tiles the tensor `repeats[i]` times along each dimension, as `Tensor.repeat`.
    public func `repeat`(_ repeats: [Int]) throws -> Tensor {
        try withInt64s(repeats) { try wrap(ct_repeat(handle, $0, $1)) }
    }

    /// Removes dimension `dim` if its size is 1.
    public func squeeze(_ dim: Int) throws -> Tensor { try wrap(ct_squeeze(handle, Int64(dim))) }

    /// Inserts a dimension of size 1 at `dim`.
    public func unsqueeze(_ dim: Int) throws -> Tensor { try wrap(ct_unsqueeze(handle, Int64(dim))) }

    /// Merges dimensions `start...end` into one.
    public func flatten(start: Int = 0, end: Int = -1) throws -> Tensor {
        try wrap(ct_flatten(handle, Int64(start), Int64(end)))
    }

    /// `length` elements from `start` along `dim` (a view).
    public func narrow(dim: Int, start: Int, length: Int) throws -> Tensor {
        try wrap(ct_narrow(handle, Int64(dim), Int64(start), Int64(length)))
    }

    /// Elements `start..<end` with a step along `dim` (a view); negative indices count from the end.
    public func slice(dim: Int, start: Int = 0, end: Int = Int.max, step: Int = 1) throws -> Tensor {
        try wrap(ct_slice(handle, Int64(dim), Int64(start), Int64(end), Int64(step)))
    }

    /// The sub-tensor at `index` along `dim`, with that dimension removed.
    public func select(dim: Int, index: Int) throws -> Tensor {
        try wrap(ct_select(handle, Int64(dim), Int64(index)))
    }

    /// Rows of `dim` picked by an int64 index vector.
    public func indexSelect(dim: Int, index: Tensor) throws -> Tensor {
        try withExtendedLifetime(index) { try wrap(ct_index_select(handle, Int64(dim), index.handle)) }
    }

    /// Values gathered along `dim` at `index`, as `torch.gather`.
    public func gather(dim: Int, index: Tensor) throws -> Tensor {
        try withExtendedLifetime(index) { try wrap(ct_gather(handle, Int64(dim), index.handle)) }
    }

    /// `value` where `mask` is true, else the element.
    public func maskedFill(_ mask: Tensor, _ value: Double) throws -> Tensor {
        try withExtendedLifetime(mask) { try wrap(ct_masked_fill(handle, mask.handle, value)) }
    }

    /// Reverses the order along `dims`.
    public func flip(_ dims: [Int]) throws -> Tensor {
        try withInt64s(dims) { try wrap(ct_flip(handle, $0, $1)) }
    }

    /// Splits into `chunks` nearly equal pieces along `dim`.
    public func chunk(_ chunks: Int, dim: Int = 0) throws -> [Tensor] {
        var out = [OpaquePointer?](repeating: nil, count: Swift.max(chunks, 0))
        let n = out.withUnsafeMutableBufferPointer { ct_chunk(handle, Int64(chunks), Int64(dim), $0.baseAddress) }
        try check(n)
        return out.prefix(Int(n)).compactMap { $0.map { Tensor(owning: $0) } }
    }

    /// Splits into pieces of the given sizes along `dim`.
    public func split(sizes: [Int], dim: Int = 0) throws -> [Tensor] {
        var out = [OpaquePointer?](repeating: nil, count: sizes.count)
        let n = withInt64s(sizes) { s, count in
            out.withUnsafeMutableBufferPointer { ct_split(handle, s, count, Int64(dim), $0.baseAddress) }
        }
        try check(n)
        return out.prefix(Int(n)).compactMap { $0.map { Tensor(owning: $0) } }
    }

    /// Pads the last dimensions: `pad` lists (before, after) pairs starting with the last dimension.
    public func pad(_ pad: [Int], value: Double = 0) throws -> Tensor {
        try withInt64s(pad) { try wrap(ct_pad(handle, $0, $1, value)) }
    }

    /// Joins tensors along an existing dimension.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        try withHandles(tensors) { try wrap(ct_cat($0, $1, Int64(dim))) }
    }

    /// Joins tensors along a new dimension.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        try withHandles(tensors) { try wrap(ct_stack($0, $1, Int64(dim))) }
    }
}
