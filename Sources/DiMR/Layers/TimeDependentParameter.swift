import NN
import Torch

/// A parameter that moves between two values as the time condition changes:
/// `value(t) = param1 + sigmoid((nodecay_weight + 1) * t + nodecay_bias) * (param0 - param1)`, elementwise.
///
/// State-dict names: `param0`, `param1`, `nodecay_weight`, `nodecay_bias` (the last two skip weight decay).
public final class TimeDependentParameter: Module, @unchecked Sendable {
    /// Shape of one value.
    public let shape: [Int]
    /// The value the parameter approaches as the sigmoid goes to 1.
    public let param0: Parameter
    /// The value the parameter approaches as the sigmoid goes to 0.
    public let param1: Parameter
    /// Slope of the sigmoid minus one (zero at initialisation).
    public let nodecayWeight: Parameter
    /// Offset of the sigmoid (zero at initialisation).
    public let nodecayBias: Parameter

    /// A parameter whose two end values both start at `initial` (e.g. ones for a scale, zeros for a bias).
    public init(shape: [Int], initial: Double) throws {
        self.shape = shape
        param0 = try Parameter(Tensor.full(shape, initial))
        param1 = try Parameter(Tensor.full(shape, initial))
        nodecayWeight = try Parameter(Tensor.zeros(shape))
        nodecayBias = try Parameter(Tensor.zeros(shape))
        super.init()
        register("param0", parameter: param0)
        register("param1", parameter: param1)
        register("nodecay_weight", parameter: nodecayWeight)
        register("nodecay_bias", parameter: nodecayBias)
    }

    /// The value at each time of `context`: (T, *shape) with T = 1 when the time is shared.
    public func value(_ context: TimeContext) throws -> Tensor {
        let p0 = try param0.tensor.reshape([1, -1])  // (1, n)
        let p1 = try param1.tensor.reshape([1, -1])  // (1, n)
        let slope = try (nodecayWeight.tensor + 1).reshape([1, -1])  // (1, n)
        let offset = try nodecayBias.tensor.reshape([1, -1])  // (1, n)
        let gate = try Tensor.addcmul(offset, context.time.unsqueeze(1), slope).sigmoid()  // (T, n)
        let mixed = try Tensor.addcmul(p1, gate, p0 - p1)  // (T, n)
        return try mixed.reshape([context.rows] + shape)  // (T, *shape)
    }
}
