import Foundation
import Testing
import Torch
@testable import NN

/// `BatchNorm2d`: PyTorch's state-dict names, running statistics in training, and loading with `assign`.
struct BatchNormTests {
    @Test func namesAndTrainingUpdates() throws {
        let bn = try BatchNorm2d(2, momentum: 0.1)
        #expect(Set(bn.stateDict().keys) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        let x = try Tensor([1.0, 3, 5, 7], shape: [2, 2, 1, 1]).to(.float32)          // channel 0: 1, 5; channel 1: 3, 7
        let y = try bn(x)
        // Batch statistics: means 3 and 5, biased variances 4 and 4: outputs ±1 (eps 1e-5 aside).
        #expect(try (y.abs() - 1).abs().max().item() <= 1e-5)
        let state = bn.stateDict()
        // running_mean = 0.9 · 0 + 0.1 · mean; running_var = 0.9 · 1 + 0.1 · unbiased variance (8).
        #expect(try state["running_mean"]?.toArray(Float.self) == [0.3, 0.5].map(Float.init))
        #expect(try (state["running_var"].map { try $0.to(.float64) - 1.7 }?.abs().max().item() ?? 1) <= 1e-6)
        #expect(try state["num_batches_tracked"]?.itemInt() == 1)
        bn.eval()
        let z = try bn(x)
        // Evaluation uses the running statistics: (1 - 0.3) / sqrt(1.7 + 1e-5).
        #expect(try abs(z.toArray(Float.self)[0] - Float(0.7 / (1.7 + 1e-5).squareRoot())) <= 1e-6)
        #expect(try state["num_batches_tracked"]?.itemInt() == 1)
    }

    @Test func loadingWithAssignReplacesTheBuffersUsed() throws {
        let bn = try BatchNorm2d(1)
        bn.eval()
        try bn.loadStateDict(["weight": Tensor([2.0]), "bias": Tensor([1.0]), "running_mean": Tensor([4.0]),
                              "running_var": Tensor([1.0]), "num_batches_tracked": Tensor.zeros([], dtype: .int64)],
                             assign: true)
        let y = try bn(Tensor([Float(6)], shape: [1, 1, 1, 1]))
        #expect(try abs(y.item() - (2 * 2 / (1 + 1e-5).squareRoot() + 1)) <= 1e-5)
        #expect(throws: TorchError.self) { _ = try bn(Tensor.zeros([1, 2, 1, 1])) }
    }
}
