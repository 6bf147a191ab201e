import Foundation
import Testing
import Torch

/// Symmetric eigendecomposition, k-th values, pooling options and batch normalisation, on inputs whose
/// results are worked out by hand.
struct LinalgPoolingTests {
    @Test func symmetricEigenReconstructsTheMatrix() throws {
        let a = try Tensor([4.0, 1, 0, 1, 3, 1, 0, 1, 2], shape: [3, 3])
        let (w, v) = try a.symmetricEigen()
        let rebuilt = try (v * w.unsqueeze(0)).matmul(v.transpose(0, 1))
        // float64, 3 x 3: backward error a few 2^-52 of |A| = 5.
        #expect(try (rebuilt - a).abs().max().item() <= 1e-13)
        let values = try w.toArray(Double.self)
        #expect(values == values.sorted())
        #expect(abs(values.reduce(0, +) - 9) <= 1e-13)                              // the trace
        #expect(try (a.symmetricEigenvalues() - w).abs().max().item() <= 1e-13)
        let diagonal = try Tensor([3.0, 0, 0, 0, -1, 0, 0, 0, 2], shape: [3, 3])
        #expect(try diagonal.symmetricEigenvalues().toArray(Double.self) == [-1, 2, 3])
        // Only the chosen triangle is read.
        let lowerOnly = try Tensor([2.0, 99, 1, 2], shape: [2, 2])
        #expect(try lowerOnly.symmetricEigenvalues(triangle: .lower).toArray(Double.self).map { $0.rounded() } == [1, 3])
        #expect(throws: TorchError.self) { _ = try Tensor.zeros([2, 3], dtype: .float64).symmetricEigen() }
    }

    @Test func kthValueDiagonalAndEye() throws {
        let x = try Tensor([5.0, 1, 4, 2, 0, 7, 3, 3], shape: [2, 4])
        let (values, indices) = try x.kthValue(2, dim: 1)
        #expect(try values.toArray(Double.self) == [2, 3])
        #expect(try indices.toArray(Int64.self)[0] == 3)
        #expect(try Tensor.eye(3).diagonal().toArray(Float.self) == [1, 1, 1])
        #expect(try x.narrow(dim: 1, start: 0, length: 2).diagonal().toArray(Double.self) == [5, 7])
    }

    @Test func poolingOptions() throws {
        let x = try Tensor((0..<9).map(Float.init), shape: [1, 1, 3, 3])
        // Corner window with padding 1 covers 0, 1, 3, 4: mean 2 without the padding, 8/9 counting it.
        let excluding = try x.avgPool2d(kernel: [3, 3], stride: [1, 1], padding: [1, 1], countIncludePad: false)
        let including = try x.avgPool2d(kernel: [3, 3], stride: [1, 1], padding: [1, 1], countIncludePad: true)
        #expect(try excluding.toArray(Float.self)[0] == 2)
        #expect(try abs(including.toArray(Float.self)[0] - 8 / 9) <= 1e-6)
        #expect(try excluding.toArray(Float.self)[4] == 4)                          // the centre sees all nine
        let maxed = try x.maxPool2d(kernel: [3, 3], stride: [1, 1], padding: [1, 1])
        #expect(try maxed.toArray(Float.self) == [4, 5, 5, 7, 8, 8, 7, 8, 8])
        let strided = try Tensor((0..<25).map(Float.init), shape: [1, 1, 5, 5]).maxPool2d(kernel: [3, 3], stride: [2, 2])
        #expect(try strided.toArray(Float.self) == [12, 14, 22, 24])
    }

    @Test func batchNormInEvaluationAndTraining() throws {
        let x = try Tensor([1.0, 3, 5, 7, 2, 2, 2, 2], shape: [2, 2, 2, 1])                // (N, C, H, W)
        let mean = try Tensor([1.0, 2]), variance = try Tensor([4.0, 1])
        let weight = try Tensor([2.0, 1]), bias = try Tensor([0.5, 0])
        let out = try x.batchNorm(runningMean: mean, runningVar: variance, weight: weight, bias: bias, training: false, eps: 0)
        let xs = try x.toArray(Double.self), outs = try out.toArray(Double.self)
        for (i, value) in xs.enumerated() {
            let c = (i / 2) % 2
            let expected = c == 0 ? (value - 1) / 2 * 2 + 0.5 : (value - 2) / 1 * 1
            #expect(abs(outs[i] - expected) <= 1e-12)
        }
        // Training: batch statistics normalise; running ones move by momentum, the variance unbiased.
        let runningMean = try Tensor([0.0, 0]), runningVar = try Tensor([1.0, 1])
        _ = try x.batchNorm(runningMean: runningMean, runningVar: runningVar, weight: nil, bias: nil, training: true, momentum: 0.5)
        // Channel 0 holds 1, 3, 2, 2 (mean 2, unbiased variance 2/3); channel 1 holds 5, 7, 2, 2 (mean 4, 6).
        let m = try runningMean.toArray(Double.self), v = try runningVar.toArray(Double.self)
        #expect(abs(m[0] - 1) <= 1e-12 && abs(m[1] - 2) <= 1e-12)
        #expect(abs(v[0] - (0.5 + 0.5 * 2.0 / 3)) <= 1e-12 && abs(v[1] - (0.5 + 0.5 * 6)) <= 1e-12)
    }
}
