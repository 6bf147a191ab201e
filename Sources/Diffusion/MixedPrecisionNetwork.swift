import Torch

/// A network whose forward pass runs in a given precision and whose predictions come back in float32.
///
/// With `.bfloat16` the wrapped network's matrix multiplies and convolutions run in bfloat16 (`Autocast`; a
/// DiMR keeps its attention and depthwise convolutions float32 on the CPU); its weights stay float32, and what the loss, the guidance
/// combination and the solvers compute from the predictions stays float32. With `.float32` it is the wrapped
/// network itself.
public final class MixedPrecisionNetwork: DenoisingNetwork {
    /// The network run.
    public let base: any DenoisingNetwork
    /// The precision of its forward pass.
    public let precision: Precision

    /// Runs `base` in `precision`.
    public init(_ base: any DenoisingNetwork, precision: Precision) {
        self.base = base
        self.precision = precision
    }

    /// The predictions of `base` (each (B, C, h, w)), computed in `precision` on `x`'s device, as float32
    /// (or `x`'s type when that is wider).
    public func predict(_ x: Tensor, logSNR: Tensor, classes: Tensor) throws -> [Tensor] {
        let outputs = try precision.run(on: x.device) { try base.predict(x, logSNR: logSNR, classes: classes) }
        let type: DType = x.dtype == .float64 ? .float64 : .float32
        return try outputs.map { try $0.to(type) }
    }
}
