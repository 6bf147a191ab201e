import CTorch

/// Averages parameter gradients across a process group during the backward pass, as PyTorch's
/// `DistributedDataParallel` does: the parameters are grouped into buckets (in reverse order), each gradient is
/// copied into its bucket as autograd produces it, and a full bucket is reduced in the background while backward
/// goes on. Every rank must build its averager from the same parameters in the same order.
public final class GradientAverager: @unchecked Sendable {
    let handle: OpaquePointer
    /// The group the gradients are averaged over.
    public let group: ProcessGroup
    private let parameters: [Tensor]

    /// Hooks `parameters` (float leaf tensors requiring gradients, on `group.device`) for averaging over `group` in
    /// buckets of at most `bucketBytes`.
    /// - Throws: `TorchError` for a parameter of another kind or a bucket size below 1.
    public init(group: ProcessGroup, parameters: [Tensor], bucketBytes: Int = ProcessGroup.defaultBucketBytes) throws {
        guard bucketBytes >= 1 else { throw TorchError("bucket size must be positive, got \(bucketBytes)") }
        guard let h = withHandles(parameters, { ct_grad_sync_new(group.handle, $0, $1, Int64(bucketBytes)) }) else {
            throw TorchError.last()
        }
        handle = h
        self.group = group
        self.parameters = parameters
    }

    deinit { ct_grad_sync_free(handle) }

    /// Runs `backward` (the backward pass of this rank's loss), then leaves every parameter's gradient at its mean
    /// over the ranks (a parameter no rank used keeps no gradient). Returns the seconds spent waiting for the
    /// reductions after `backward` returned: the communication the backward pass did not hide.
    /// - Throws: the error of `backward`, or `TorchError` on a lost peer or a timeout.
    public func averaging(_ backward: () throws -> Void) throws -> Double {
        try check(ct_grad_sync_prepare(handle))
        var waited = 0.0
        do {
            try backward()
        } catch {
            ct_grad_sync_abort(handle)  // the step is abandoned: no further collectives for it
            throw error
        }
        try check(ct_grad_sync_finish(handle, 1 / Double(group.size), &waited))
        return waited
    }
}
