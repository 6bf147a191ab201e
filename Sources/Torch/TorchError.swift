import CTorch

/// An error raised by libtorch or by the Swift layer over it.
public struct TorchError: Error, CustomStringConvertible, Equatable {
    /// The message, for libtorch failures its own text (shape errors included).
    public let message: String

    /// Creates an error with a message.
    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// Takes the error recorded by the last failing CTorch call on this thread.
    static func last() -> TorchError {
        guard let cString = ct_last_error() else { return TorchError("libtorch call failed without a message") }
        let message = String(cString: cString)
        ct_clear_error()
        return TorchError(message)
    }
}

/// Turns a handle from CTorch into a `Tensor`, or throws libtorch's error when it is null.
@inline(__always)
func wrap(_ handle: OpaquePointer?) throws -> Tensor {
    guard let handle else { throw TorchError.last() }
    return Tensor(owning: handle)
}

/// Throws libtorch's error when a CTorch status call failed.
@inline(__always)
func check(_ status: Int32) throws {
    if status < 0 { throw TorchError.last() }
}

/// Calls `body` with `values` viewed as a C array of int64 (shapes, dims, strides).
@inline(__always)
func withInt64s<R>(_ values: [Int], _ body: (UnsafePointer<Int64>?, Int32) throws -> R) rethrows -> R {
    try values.withUnsafeBufferPointer { buffer in
        try buffer.withMemoryRebound(to: Int64.self) { try body($0.baseAddress, Int32($0.count)) }
    }
}

/// Calls `body` with the handles of `tensors` as a C array; the tensors stay alive for the call.
@inline(__always)
func withHandles<R>(_ tensors: [Tensor], _ body: (UnsafePointer<OpaquePointer?>?, Int32) throws -> R) rethrows -> R {
    let handles: [OpaquePointer?] = tensors.map { $0.handle }
    return try withExtendedLifetime(tensors) {
        try handles.withUnsafeBufferPointer { try body($0.baseAddress, Int32($0.count)) }
    }
}
