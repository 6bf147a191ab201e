import Torch

/// `x` in float32 when it holds bfloat16 or float16 (else `x` itself): under mixed precision a norm gets the
/// bfloat16 output of a matrix multiply, and its statistics and output stay float32.
func atLeastFloat32(_ x: Tensor) throws -> Tensor {
    x.dtype == .bfloat16 || x.dtype == .float16 ? try x.to(.float32) : x
}
