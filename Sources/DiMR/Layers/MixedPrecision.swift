import Torch

/// `x` in float32 when it holds bfloat16 or float16 (else `x` itself): under mixed precision a norm gets the
/// bfloat16 output of a matrix multiply, and its statistics and output stay float32.
func atLeastFloat32(_ x: Tensor) throws -> Tensor {
    x.dtype == .bfloat16 || x.dtype == .float16 ? try x.to(.float32) : x
}

/// `body` with bfloat16 autocast suspended when `x` is on the CPU (else `body` as it is): for the operations
/// whose libtorch 2.13 CPU kernels are no faster in bfloat16 (attention, depthwise convolution).
func float32OnCPU(_ x: Tensor, _ body: () throws -> Tensor) throws -> Tensor {
    x.device == .cpu && Autocast.isEnabled(on: .cpu) ? try Autocast.suspended(device: .cpu, body) : try body()
}
