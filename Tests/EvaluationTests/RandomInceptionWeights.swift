import Foundation
import Torch
@testable import Evaluation

/// The random FID Inception weights of scripts/refs/inception_refs.py, drawn again here: one generator
/// seeded with `seed` draws `torch.rand(shape)` for every state-dict key in sorted order (the
/// `num_batches_tracked` counters excluded) and maps each u in [0, 1) with the float32 operations of that
/// script. Mersenne-Twister draws and these correctly rounded operations give the same bits on every CPU,
/// so the 24 million numbers need not be committed.
enum RandomInceptionWeights {
    static let seed: UInt64 = 1512

    /// The state dict for `network`'s keys and shapes.
    static func stateDict(for network: FIDInceptionV3) throws -> [String: Tensor] {
        let generator = try Generator(seed: seed)
        var shapes: [String: [Int]] = [:]
        for (name, parameter) in network.namedParameters() { shapes[name] = parameter.tensor.shape }
        for (name, buffer) in network.namedBuffers() where !name.hasSuffix("num_batches_tracked") { shapes[name] = buffer.shape }
        var state: [String: Tensor] = [:]
        for name in shapes.keys.sorted() {
            let shape = shapes[name] ?? []
            let u = try Tensor.rand(shape, generator: generator)
            if name.hasSuffix(".conv.weight") {
                let fanIn = shape[1] * shape[2] * shape[3]
                state[name] = try (u * 2 - 1) * (6.0 / Double(fanIn)).squareRoot()
            } else if name.hasSuffix(".bn.weight") || name.hasSuffix(".bn.running_var") {
                state[name] = try u * 0.5 + 0.75
            } else if name.hasSuffix(".bn.bias") || name.hasSuffix(".bn.running_mean") {
                state[name] = try (u * 2 - 1) * 0.1
            } else if name == "fc.weight" {
                state[name] = try (u * 2 - 1) * (3.0 / 2048).squareRoot()
            } else if name == "fc.bias" {
                state[name] = try (u * 2 - 1) * 0.1
            } else {
                throw EvaluationError("unexpected Inception key \(name)")
            }
        }
        return state
    }
}
