import CTorch

/// libtorch's automatic mixed precision (`torch.autocast`), scoped to a closure.
///
/// Inside the scope, matrix multiplies (`linear`, `matmul`, `bmm`, `baddbmm`), convolutions and
/// scaled-dot-product attention on tensors of the scope's device cast their float32 inputs to the
/// lower precision and return it; other operations run in their inputs' type (mixing float32 with
/// bfloat16 promotes to float32). Casts of weights (leaf tensors that require a gradient) are made once
/// per outermost scope. The backward pass of what was recorded inside needs no scope: gradients reach
/// float32 parameters as float32.
public enum Autocast {
    /// Runs `body` with autocast to `dtype` (bfloat16 or float16) for tensors on `device`, on this thread;
    /// the previous setting is restored afterwards, also when `body` throws.
    /// - Throws: `TorchError` for another `dtype`; what `body` throws.
    public static func run<R>(device: Device, dtype: DType, _ body: () throws -> R) throws -> R {
        guard dtype == .bfloat16 || dtype == .float16 else {
            throw TorchError("autocast takes bfloat16 or float16, not \(dtype)")
        }
        return try scope(device: device, enabled: true, dtype: dtype, body)
    }

    /// Runs `body` with autocast off for tensors on `device` (inside a `run` scope: a part kept in its inputs'
    /// precision); the previous setting is restored afterwards.
    public static func suspended<R>(device: Device, _ body: () throws -> R) throws -> R {
        try scope(device: device, enabled: false, dtype: .bfloat16, body)
    }

    /// `body` with autocast suspended when `x` is on the CPU and autocast is on there (else `body` as it is): for
    /// the operations whose libtorch 2.13 CPU kernels are no faster in bfloat16 than in float32 (attention,
    /// depthwise convolution), which then keep their inputs' precision.
    public static func suspendedOnCPU<R>(for x: Tensor, _ body: () throws -> R) throws -> R {
        x.device == .cpu && isEnabled(on: .cpu) ? try suspended(device: .cpu, body) : try body()
    }

    private static func scope<R>(device: Device, enabled: Bool, dtype: DType, _ body: () throws -> R) throws -> R {
        var saved = ct_autocast_state()
        try check(ct_autocast_enter(device.typeCode, enabled ? 1 : 0, dtype.rawValue, &saved))
        defer { _ = ct_autocast_exit(&saved) }
        return try body()
    }

    /// Whether autocast is on for tensors on `device` on this thread.
    public static func isEnabled(on device: Device) -> Bool { ct_autocast_enabled(device.typeCode) == 1 }
}
