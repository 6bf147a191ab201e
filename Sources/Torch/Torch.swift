import CTorch

/// Process-wide libtorch settings and facts.
public enum Torch {
    /// The libtorch version string, e.g. `2.13.0`.
    public static var version: String { String(cString: ct_torch_version()) }

    /// Whether the libtorch in use was built with CUDA and sees a GPU.
    public static var cudaAvailable: Bool { ct_cuda_is_available() != 0 }

    /// Number of visible CUDA devices (0 on a CPU build).
    public static var cudaDeviceCount: Int { Int(ct_cuda_device_count()) }

    /// The number of intra-op threads libtorch uses.
    public static var numThreads: Int {
        get { Int(ct_get_num_threads()) }
        set { ct_set_num_threads(Int32(newValue)) }
    }

    /// Allows or forbids TensorFloat-32 (10-bit mantissa) in CUDA matrix multiplies and cuDNN convolutions for the
    /// whole process (libtorch's defaults: matrix multiplies off, convolutions on); no effect on the CPU. Comparisons
    /// with float32 references at 1e-5 (`dimr parity`) need it off.
    public static func setAllowTF32(_ allow: Bool) { ct_set_allow_tf32(allow ? 1 : 0) }

    /// Whether libtorch's CPU feature table reports `name` (e.g. `avx512_bf16`, `amx_bf16`, `avx2`) for this
    /// processor; false for a name the table does not hold.
    public static func cpuHasFeature(_ name: String) -> Bool { ct_cpu_capability(name) == 1 }

    /// Whether this CPU has bfloat16 dot-product instructions: AVX512-BF16 or AMX-BF16 (x86-64), BF16 (ARM).
    public static var cpuSupportsBFloat16: Bool {
        ["avx512_bf16", "amx_bf16", "bf16", "sve_bf16"].contains { cpuHasFeature($0) }
    }

    /// Seeds libtorch's default CPU generator, as `torch.manual_seed`.
    public static func manualSeed(_ seed: UInt64) { ct_manual_seed(seed) }

    /// Whether operations record autograd history on this thread.
    public static var gradEnabled: Bool {
        get { ct_grad_enabled() != 0 }
        set { ct_set_grad_enabled(newValue ? 1 : 0) }
    }

    /// Waits for queued CUDA work (no-op on CPU).
    public static func synchronize() throws { try check(ct_cuda_synchronize()) }
}

/// Runs `body` without recording autograd history, like `torch.no_grad()`.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = ct_grad_enabled()
    ct_set_grad_enabled(0)
    defer { ct_set_grad_enabled(previous) }
    return try body()
}

/// Runs `body` with autograd history recorded, even inside a no-grad scope.
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = ct_grad_enabled()
    ct_set_grad_enabled(1)
    defer { ct_set_grad_enabled(previous) }
    return try body()
}
