import CTorch

/// Element types of tensors; raw values are libtorch's scalar-type codes.
public enum DType: Int32, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case uint8 = 0
    case int32 = 3
    case int64 = 4
    case float16 = 5
    case float32 = 6
    case float64 = 7
    case bool = 11
    case bfloat16 = 15

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .uint8, .bool: 1
        case .float16, .bfloat16: 2
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }

    /// Whether the type holds floating-point values.
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .float32, .float64, .bfloat16: true
        default: false
        }
    }

    /// The safetensors name of the type (`F32`, `BF16`, ...).
    public var safetensorsName: String {
        switch self {
        case .uint8: "U8"
        case .int32: "I32"
        case .int64: "I64"
        case .float16: "F16"
        case .float32: "F32"
        case .float64: "F64"
        case .bool: "BOOL"
        case .bfloat16: "BF16"
        }
    }

    /// The type with a safetensors name, if supported.
    public init?(safetensorsName: String) {
        guard let match = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
        self = match
    }

    public var description: String {
        switch self {
        case .uint8: "uint8"
        case .int32: "int32"
        case .int64: "int64"
        case .float16: "float16"
        case .float32: "float32"
        case .float64: "float64"
        case .bool: "bool"
        case .bfloat16: "bfloat16"
        }
    }
}

/// Where a tensor's memory lives.
public enum Device: Sendable, Equatable, Hashable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    /// The first CUDA device.
    public static let gpu = Device.cuda(0)

    var typeCode: Int32 {
        switch self {
        case .cpu: 0
        case .cuda: 1
        }
    }
    var index: Int32 {
        switch self {
        case .cpu: 0
        case .cuda(let i): Int32(i)
        }
    }

    /// Parses `cpu`, `cuda` or `cuda:N`.
    public init?(parsing text: String) {
        if text == "cpu" { self = .cpu; return }
        if text == "cuda" { self = .cuda(0); return }
        if text.hasPrefix("cuda:"), let i = Int(text.dropFirst(5)), i >= 0 { self = .cuda(i); return }
        return nil
    }

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .cuda(let i): "cuda:\(i)"
        }
    }

    /// Throws a clear error when this device cannot be used with the libtorch in use (CUDA without CUDA support or
    /// a GPU, or an index past the visible GPUs).
    public func validate() throws {
        if case .cuda(let i) = self {
            guard Torch.cudaAvailable else {
                throw TorchError("CUDA device \(self) was requested but the libtorch in use has no CUDA support or sees no GPU "
                                 + "(libtorch \(Torch.version))")
            }
            guard i < Torch.cudaDeviceCount else {
                throw TorchError("CUDA device \(i) requested but only \(Torch.cudaDeviceCount) visible")
            }
        }
    }
}

/// Swift types that can be copied into and out of tensors.
public protocol TensorScalar: Sendable {
    /// The matching tensor element type.
    static var dtype: DType { get }
}
extension Float: TensorScalar { public static var dtype: DType { .float32 } }
extension Double: TensorScalar { public static var dtype: DType { .float64 } }
extension Int64: TensorScalar { public static var dtype: DType { .int64 } }
extension Int32: TensorScalar { public static var dtype: DType { .int32 } }
extension UInt8: TensorScalar { public static var dtype: DType { .uint8 } }
extension Bool: TensorScalar { public static var dtype: DType { .bool } }
