import Foundation
import Torch

/// float32 transcendental functions evaluated by libtorch on one-element tensors.
///
/// The authors' DPM-Solver computes its time coefficients with float32 tensor ops; taking the same
/// kernels keeps our coefficients identical to theirs (libm and libtorch may differ in the last bit).
enum Float32Math {
    static func exp(_ x: Float) throws -> Float { try apply(x) { try $0.exp() } }
    static func log(_ x: Float) throws -> Float { try apply(x) { try $0.log() } }
    static func expm1(_ x: Float) throws -> Float { try apply(x) { try $0.expm1() } }
    static func cos(_ x: Float) throws -> Float { try apply(x) { try $0.cos() } }
    /// libtorch's float32 square root, which is not always correctly rounded.
    static func sqrt(_ x: Float) throws -> Float { try apply(x) { try $0.sqrt() } }

    /// `x ** exponent` as `torch.pow(tensor, scalar)`.
    static func pow(_ x: Float, _ exponent: Double) throws -> Float { try apply(x) { try $0.pow(exponent) } }

    /// `torch.logaddexp(a, b)` for a batch too small for its vector path: plain libm float calls.
    static func logAddExp(_ a: Float, _ b: Float) -> Float {
        if a.isInfinite && a == b { return a }
        let m = Swift.max(a, b)
        return m + Foundation.log1p(Foundation.exp(-Swift.abs(a - b)))
    }

    private static func apply(_ x: Float, _ op: (Tensor) throws -> Tensor) throws -> Float {
        let values = try op(Tensor([x])).toArray(Float.self)
        guard let value = values.first else { throw TorchError("scalar op returned no value") }
        return value
    }
}
