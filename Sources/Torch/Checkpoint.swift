import CTorch

/// Gradient checkpointing: run a function without keeping its activations and recompute it during the
/// backward pass (like `torch.utils.checkpoint` with `use_reentrant=True`).
public enum Checkpoint {
    /// Runs `body` on `inputs` without recording autograd history and ties its outputs to one autograd node
    /// whose backward pass re-runs `body` with history on detached copies of the inputs and back-propagates
    /// through it. Parameters that `body` uses receive their gradients during that backward pass.
    ///
    /// `body` must be deterministic (replay random draws yourself) and return at most `maxOutputs` tensors.
    /// Gradients only flow when some input requires a gradient; otherwise call `body` directly.
    public static func run(_ inputs: [Tensor], maxOutputs: Int = 8,
                           _ body: @escaping ([Tensor]) throws -> [Tensor]) throws -> [Tensor] {
        precondition(maxOutputs > 0, "maxOutputs must be positive")
        let box = CheckpointBox(body)
        let context = Unmanaged.passRetained(box).toOpaque()  // released by the node (or on failure)
        var out = [OpaquePointer?](repeating: nil, count: maxOutputs)
        let n = withHandles(inputs) { handles, count in
            out.withUnsafeMutableBufferPointer {
                ct_checkpoint(checkpointTrampoline, context, checkpointRelease, handles, count, $0.baseAddress,
                              Int32(maxOutputs))
            }
        }
        if n < 0 {
            if let error = box.error { ct_clear_error(); throw error }
            throw TorchError.last()
        }
        return out.prefix(Int(n)).compactMap { $0.map { Tensor(owning: $0) } }
    }
}

/// The Swift function behind a checkpoint node, and the error of its last failed run.
private final class CheckpointBox: @unchecked Sendable {
    let body: ([Tensor]) throws -> [Tensor]
    var error: (any Error)?

    init(_ body: @escaping ([Tensor]) throws -> [Tensor]) { self.body = body }
}

private let checkpointTrampoline: ct_checkpoint_fn = { context, inputs, count, outputs, maxOutputs, errorBuffer, capacity in
    guard let context else { return -1 }
    let box = Unmanaged<CheckpointBox>.fromOpaque(context).takeUnretainedValue()
    do {
        var tensors: [Tensor] = []
        for i in 0..<Int(count) {
            guard let borrowed = inputs?[i], let owned = ct_shallow_copy(borrowed) else { throw TorchError.last() }
            tensors.append(Tensor(owning: owned))
        }
        let results = try box.body(tensors)
        guard results.count <= Int(maxOutputs) else {
            throw TorchError("checkpointed function returned \(results.count) tensors, more than \(maxOutputs)")
        }
        for (i, r) in results.enumerated() {
            guard let h = ct_shallow_copy(r.handle) else { throw TorchError.last() }
            outputs?[i] = h
        }
        box.error = nil
        return Int32(results.count)
    } catch {
        box.error = error
        if let errorBuffer, capacity > 0 {
            let message = Array("\(error)".utf8.prefix(Int(capacity) - 1))
            for (i, byte) in message.enumerated() { errorBuffer[i] = CChar(bitPattern: byte) }
            errorBuffer[message.count] = 0
        }
        return -1
    }
}

private let checkpointRelease: @convention(c) (UnsafeMutableRawPointer?) -> Void = { context in
    guard let context else { return }
    Unmanaged<CheckpointBox>.fromOpaque(context).release()
}
