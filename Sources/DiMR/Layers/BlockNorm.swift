import NN
import Torch

/// A normalisation over the last dimension that may depend on the time condition (or on the input's first token).
protocol BlockNorm: Module {
    /// Normalises `x`; same shape out.
    func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor
}

extension TimeDependentLayerNorm: BlockNorm {}
extension RMSNorm: BlockNorm {}
extension TimeDependentRMSNorm: BlockNorm {}
extension AdaRMSNorm: BlockNorm {}

/// The block norm a configuration asks for, over `dim` channels.
func makeBlockNorm(_ type: NormType, dim: Int, generator: Generator?) throws -> any BlockNorm {
    switch type {
    case .layerNorm: return try TimeDependentLayerNorm(dim)
    case .rmsNorm: return try RMSNorm(dim)
    case .timeDependentRMSNorm: return try TimeDependentRMSNorm(dim)
    case .adaptiveRMSNorm: return try AdaRMSNorm(dim, conditionDim: dim, generator: generator)
    }
}
