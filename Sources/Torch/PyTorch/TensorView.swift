/// Checks of a strided view against its storage, with overflow-checked arithmetic.
enum TensorView {
    /// Returns `tensor` if its shape, strides and offset stay inside its storage; throws otherwise.
    ///
    /// The view reads elements `offset + sum_i k_i * strides[i]` for `0 <= k_i < shape[i]`; with every
    /// stride non-negative the last one read is `offset + sum_i (shape[i] - 1) * strides[i]`.
    static func check(_ tensor: PickleTensor, what: String) throws -> PickleTensor {
        func fail(_ why: String) -> TorchError {
            TorchError("\(what): tensor of size \(tensor.shape), stride \(tensor.strides) at offset \(tensor.offset)"
                       + " in storage \(tensor.storage.key) of \(tensor.storage.count) elements: \(why)")
        }
        guard tensor.offset >= 0 else { throw fail("negative storage offset") }
        guard tensor.shape.allSatisfy({ $0 >= 0 }) else { throw fail("negative size") }
        guard tensor.strides.allSatisfy({ $0 >= 0 }) else { throw fail("negative stride") }
        guard let count = try elementCount(tensor.shape) else { throw fail("the element count overflows") }
        if tensor.shape.contains(0) { return tensor }   // an empty view reads nothing
        // Loading copies a view out: one with more elements than its storage (overlapping strides, as
        // `expand` makes) would allocate more than the file holds. State dicts do not contain such views.
        guard count <= tensor.storage.count else { throw fail("it has more elements than its storage (overlapping strides)") }
        var last = tensor.offset
        for (size, stride) in zip(tensor.shape, tensor.strides) {
            let (step, overflow1) = (size - 1).multipliedReportingOverflow(by: stride)
            let (next, overflow2) = last.addingReportingOverflow(step)
            guard !overflow1, !overflow2 else { throw fail("the extent overflows") }
            last = next
        }
        guard last < tensor.storage.count else { throw fail("it reads element \(last), past the storage's end") }
        return tensor
    }

    /// The product of `shape`, or nil when it overflows.
    static func elementCount(_ shape: [Int]) throws -> Int? {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            count = product
        }
        return count
    }
}
