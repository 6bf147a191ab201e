import NN
import Torch

/// A residual block a stage stacks: (B, tokens..., C) -> same shape.
protocol StageBlock: Module {
    /// Applies the block.
    func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor
}

/// Applies `dropout` to a residual branch when training; the branch itself otherwise.
@inline(__always)
func residualDropout(_ branch: Tensor, _ dropout: Dropout) throws -> Tensor {
    try dropout.isTraining && dropout.p > 0 ? dropout(branch) : branch
}
