/// The arithmetic a network runs in.
///
/// `bfloat16` is mixed precision: matrix multiplies, convolutions and attention in bfloat16 (8 significant
/// bits, float32's exponent range; see `Autocast`), everything else (norms, softmax statistics, losses,
/// optimizer, samplers) and the weights themselves in float32. A network may keep more in float32 (DiMR's
/// attention and depthwise convolutions on the CPU).
public enum Precision: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// Everything in float32.
    case float32
    /// bfloat16 matrix multiplies, convolutions and attention under `Autocast`; float32 weights.
    case bfloat16 = "bf16"

    public var description: String { rawValue }

    /// The element type of the network's matrix multiplies.
    public var computeType: DType {
        switch self {
        case .float32: .float32
        case .bfloat16: .bfloat16
        }
    }

    /// Runs `body` in this precision for tensors on `device` (float32: `body` as it is).
    public func run<R>(on device: Device, _ body: () throws -> R) throws -> R {
        switch self {
        case .float32: return try body()
        case .bfloat16: return try Autocast.run(device: device, dtype: .bfloat16, body)
        }
    }

    /// Throws when this precision would not run at full speed on `device`: bfloat16 on a CPU without
    /// bfloat16 dot-product instructions (x86-64 AVX512-BF16 or AMX-BF16, ARM BF16), where libtorch emulates it
    /// slower than float32. CUDA devices are accepted (bfloat16 needs compute capability 8.0 there; libtorch
    /// reports an older GPU's failure itself).
    /// - Parameter cpuSupportsBFloat16: whether the CPU has such instructions (the default asks libtorch).
    /// - Throws: `TorchError` naming the CPU's missing instructions and the way out (`float32`).
    public func checkSupport(on device: Device, cpuSupportsBFloat16: Bool = Torch.cpuSupportsBFloat16) throws {
        guard self == .bfloat16, device == .cpu, !cpuSupportsBFloat16 else { return }
        throw TorchError("bf16 precision needs a CPU with bfloat16 instructions (AVX512-BF16 or AMX-BF16 on x86-64, "
                         + "BF16 on ARM); this CPU has none, so libtorch would emulate bfloat16 slower than float32. "
                         + "Use float32 precision here, or a CUDA device")
    }
}
