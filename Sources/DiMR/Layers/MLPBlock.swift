import NN
import Torch

/// The gated-GELU MLP of every block: `w2(gelu(w0(norm(x))) * w1(norm(x)))`.
///
/// State-dict names: `norm.*`, `w0`, `w1`, `w2`.
public final class MLPBlock: Module, @unchecked Sendable {
    let norm: any BlockNorm
    /// Gate projection (dim -> hidden).
    public let w0: Linear
    /// Value projection (dim -> hidden).
    public let w1: Linear
    /// Output projection (hidden -> dim).
    public let w2: Linear

    /// An MLP over `dim` channels with `hiddenDim` hidden units.
    public init(dim: Int, hiddenDim: Int, normType: NormType, generator: Generator?) throws {
        norm = try makeBlockNorm(normType, dim: dim, generator: generator)
        w0 = try AuthorsInit.linear(dim, hiddenDim, generator: generator)
        w1 = try AuthorsInit.linear(dim, hiddenDim, generator: generator)
        w2 = try AuthorsInit.linear(hiddenDim, dim, generator: generator)
        super.init()
        register("norm", norm)
        register("w0", w0)
        register("w1", w1)
        register("w2", w2)
    }

    /// (B, ..., dim) -> (B, ..., dim).
    public func callAsFunction(_ x: Tensor, time: TimeContext) throws -> Tensor {
        let h = try norm(x, time: time)  // (B, ..., dim)
        let gated = try w0(h).gelu() * w1(h)  // (B, ..., hidden)
        return try w2(gated)  // (B, ..., dim)
    }
}
