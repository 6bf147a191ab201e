import CTorch

extension Tensor {
    /// Whether autograd records operations on this tensor.
    public var requiresGrad: Bool { ct_requires_grad(handle) == 1 }

    /// Turns gradient recording on or off for a leaf tensor; returns self for chaining.
    @discardableResult
    public func requiresGrad(_ value: Bool) throws -> Tensor {
        try check(ct_set_requires_grad(handle, value ? 1 : 0))
        return self
    }

    /// Whether this tensor is a leaf of the autograd graph.
    public var isLeaf: Bool { ct_is_leaf(handle) == 1 }

    /// Back-propagates from this tensor (a scalar unless `gradient` is given) into the leaves' `grad`.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        try withExtendedLifetime(gradient) { try check(ct_backward(handle, gradient?.handle, retainGraph ? 1 : 0)) }
    }

    /// The accumulated gradient, or nil when none has been computed.
    public var grad: Tensor? {
        if let h = ct_grad(handle) { return Tensor(owning: h) }
        if ct_last_error() != nil { ct_clear_error() }
        return nil
    }

    /// Replaces the accumulated gradient; nil clears it (as `zero_grad(set_to_none=True)`).
    public func setGrad(_ gradient: Tensor?) throws {
        try withExtendedLifetime(gradient) { try check(ct_set_grad(handle, gradient?.handle)) }
    }

    /// Gradients of `outputs` with respect to `inputs` without touching `grad`; nil where an input is unused.
    public static func gradients(of outputs: [Tensor], withRespectTo inputs: [Tensor], gradOutputs: [Tensor]? = nil,
                                 retainGraph: Bool = false, createGraph: Bool = false) throws -> [Tensor?] {
        var out = [OpaquePointer?](repeating: nil, count: inputs.count)
        let status = withHandles(outputs) { outs, nOut in
            withHandles(gradOutputs ?? []) { gouts, _ in
                withHandles(inputs) { ins, nIn in
                    out.withUnsafeMutableBufferPointer {
                        ct_autograd_grad(outs, nOut, gradOutputs == nil ? nil : gouts, ins, nIn,
                                         retainGraph ? 1 : 0, createGraph ? 1 : 0, $0.baseAddress)
                    }
                }
            }
        }
        try check(status)
        return out.map { $0.map { Tensor(owning: $0) } }
    }
}
