import Foundation
import Testing
@testable import DiMR
import NN
import TestSupport
import Torch

@Suite("DiMR layers")
struct LayerTests {
    private func randomize(_ module: Module, seed: UInt64) throws {
        let g = try Generator(seed: seed)
        for p in module.parameters { try p.tensor.normal_(mean: 0, std: 0.5, generator: g) }
    }

    @Test("time context: shared time when all log-SNRs agree, per-sample otherwise, time = logSNR / 4")
    func timeContext() throws {
        let shared = try TimeContext(logSNR: Tensor([Float(2), 2, 2]), batchSize: 3)
        #expect(shared.isShared)
        #expect(shared.time.shape == [1])
        #expect(try shared.time.item() == 0.5)
        let single = try TimeContext(logSNR: Tensor([Float(-1)]), batchSize: 4)
        #expect(single.isShared)
        let perSample = try TimeContext(logSNR: Tensor([Float(-4), 0, 4]), batchSize: 3)
        #expect(!perSample.isShared)
        #expect(try perSample.time.toArray() as [Float] == [-1, 0, 1])
        #expect(throws: DiMRError.self) { try TimeContext(logSNR: Tensor([Float(1), 2]), batchSize: 3) }
        #expect(throws: DiMRError.self) { try TimeContext(logSNR: Tensor([Float(1), 2], shape: [2, 1]), batchSize: 2) }
    }

    @Test("time-dependent parameter follows param1 + sigmoid((w + 1) t + b) (param0 - param1)")
    func timeDependentParameter() throws {
        let p = try TimeDependentParameter(shape: [2, 3], initial: 0)
        try randomize(p, seed: 1)
        let context = try TimeContext(logSNR: Tensor([Float(-2), 0.4, 3]), batchSize: 3)
        let value = try p.value(context)
        #expect(value.shape == [3, 2, 3])
        let p0: [Float] = try p.param0.tensor.toArray(), p1: [Float] = try p.param1.tensor.toArray()
        let w: [Float] = try p.nodecayWeight.tensor.toArray(), b: [Float] = try p.nodecayBias.tensor.toArray()
        let got: [Float] = try value.toArray()
        for (row, logSNR) in [-2.0, 0.4, 3.0].enumerated() {
            let t = Float(logSNR) / 4
            for i in 0..<6 {
                let s = 1 / (1 + exp(-((w[i] + 1) * t + b[i])))
                // libtorch against Swift's libm: t (1), the argument (3), exp (4), the sigmoid (2) and the
                // blend (3), 13 roundings on each side, relative to the blend's terms |p1| + |p0 - p1|.
                let tolerance = Float32Tolerance.depth(13) * Double(abs(p1[i]) + abs(p0[i] - p1[i]))
                #expect(Double(abs(got[row * 6 + i] - (p1[i] + s * (p0[i] - p1[i])))) <= tolerance)
            }
        }
    }

    @Test("time-dependent LayerNorm and RMSNorm: the shared path equals the per-sample path at equal times",
          arguments: [NormType.layerNorm, .timeDependentRMSNorm])
    func sharedEqualsPerSample(norm: NormType) throws {
        let layer = try makeBlockNorm(norm, dim: 8, generator: nil)
        try randomize(layer, seed: 2)
        let x = try Tensor.randn([3, 5, 8], generator: Generator(seed: 3))
        let shared = try TimeContext(logSNR: Tensor([Float(1.5)]), batchSize: 3)
        let perSample = try TimeContext(logSNR: Tensor([Float(1.5), 1.5, 1.5]), batchSize: 3)
        #expect(perSample.isShared)  // equal values collapse to the shared path
        let forced = try TimeContext(logSNR: Tensor([Float(1.5), 1.5, 1.500001]), batchSize: 3)
        #expect(!forced.isShared)
        let a = try layer(x, time: shared), b = try layer(x, time: forced)
        // The two paths round differently: the norm over 8 values (2 * 8 + 8) and the time-dependent
        // scale (13), relative to the output. The third sample's time is 1e-6 later, which moves its
        // scale by at most sigmoid' (1/4) * |w + 1| * 2.5e-7 * |p0 - p1|: below 1e-6 of the output for
        // the randomised parameters (weights and parameters within a few units).
        let tolerance = Float32Tolerance.depth(2 * 8 + 8 + 13) + 1e-6
        #expect(try a.relativeError(to: b) <= tolerance)
        // A channels-last map (B, H, W, C) as in ConvNeXt stages.
        let map = try Tensor.randn([3, 2, 4, 8], generator: Generator(seed: 4))
        let c = try layer(map, time: shared), d = try layer(map, time: forced)
        #expect(c.shape == [3, 2, 4, 8])
        #expect(try c.relativeError(to: d) <= tolerance)
    }

    @Test("RMSNorm adds eps 1e-8 outside the root; AdaRMSNorm adds 1e-6 inside and conditions on x[:, 0]")
    func rmsNorms() throws {
        let time = try TimeContext(logSNR: Tensor([Float(0)]), batchSize: 2)
        // A tiny input makes the place of eps visible: ||x|| / sqrt(d) ~ 1e-8.
        let x = try Tensor([Float(3e-8), -4e-8, 0, 0], shape: [1, 1, 4]).repeat([2, 1, 1])
        let rms = try RMSNorm(4)
        let y: [Float] = try rms(x, time: time).toArray()
        let expected = Float(3e-8) / (Float(2.5e-8) + 1e-8)
        // 4 squares summed, the mean, the root, + eps, the division and the weight: 9 roundings on the
        // library's side, 2 on ours. Putting eps inside the root would give 0.9 instead of 0.857.
        #expect(Double(abs(y[0] - expected)) <= Float32Tolerance.depth(9) * Double(expected))

        let ada = try AdaRMSNorm(4, conditionDim: 4)
        #expect(try ada.linear.weight.tensor.abs().max().item() == 0)
        try ada.linear.weight.tensor.copy_(Tensor.eye4() * 2)
        let z = try Tensor([Float(1), 2, 3, 4, 2, 0, 0, 0], shape: [1, 2, 4])
        let out: [Float] = try ada(z, time: time).toArray()
        // Row 0 is the condition: scale = 1 + 2 * x[:, 0] per channel; rows use their own mean square + 1e-6.
        let ms0 = Float(1 + 4 + 9 + 16) / 4, ms1 = Float(4) / 4
        let scale: [Float] = [3, 5, 7, 9]
        // The library: mean square (5), + eps and the reciprocal root (3), the condition's linear layer
        // (4 products and a bias, 5), 1 + scale (1) and two products (2): 16 roundings relative to each
        // value; ours take 5 of the same.
        let adaTolerance = Float32Tolerance.depth(16)
        for c in 0..<4 {
            let value = [1, 2, 3, 4][c] * scale[c] / (ms0 + 1e-6).squareRoot()
            #expect(Double(abs(out[c] - value)) <= adaTolerance * Double(value))
        }
        let value4 = 2 * scale[0] / (ms1 + 1e-6).squareRoot()
        #expect(Double(abs(out[4] - value4)) <= adaTolerance * Double(value4))
    }

    @Test("pixel-shuffle up-sampling reads channels as (r, r, C)")
    func pixelShuffleOrder() throws {
        let up = try PixelShuffleUpsample(inDim: 8, outDim: 2, ratio: 2, generator: nil)
        // Identity projection: output channel k = input channel k.
        try up.kernel.weight.tensor.copy_(Tensor.eye(8))
        try up.kernel.bias?.tensor.zero_()
        let x = try Tensor.arange(0, 8, dtype: .float32).reshape([1, 1, 1, 8])
        let y = try up(x)
        #expect(y.shape == [1, 2, 2, 2])
        // Channel index = (i * r + j) * C + c for the pixel at (i, j).
        #expect(try y.toArray() as [Float] == [0, 1, 2, 3, 4, 5, 6, 7])
        let x2 = try Tensor.arange(0, 16, dtype: .float32).reshape([1, 1, 2, 8])
        let y2: [Float] = try up(x2).toArray()
        // Output row 0: pixel (0,0) from input col 0 (i=0,j=0), (0,1) from col 0 (i=0,j=1), (0,2) from col 1 (j=0), ...
        #expect(Array(y2[0..<8]) == [0, 1, 2, 3, 8, 9, 10, 11])
        #expect(Array(y2[8..<16]) == [4, 5, 6, 7, 12, 13, 14, 15])
    }

    @Test("time-dependent Linear applies each sample's (din, dout) weight")
    func timeDependentLinear() throws {
        let layer = try TimeDependentLinear(3, 2, generator: Generator(seed: 5))
        try randomize(layer, seed: 6)
        let x = try Tensor.randn([2, 4, 3], generator: Generator(seed: 7))
        let time = try TimeContext(logSNR: Tensor([Float(-1), 2]), batchSize: 2)
        let y = try layer(x, time: time)
        #expect(y.shape == [2, 4, 2])
        let w = try layer.weight.value(time), b = try #require(layer.bias).value(time)
        for i in 0..<2 {
            let (xi, wi, bi) = (try x.select(dim: 0, index: i), try w.select(dim: 0, index: i), try b.select(dim: 0, index: i))
            let manual = try xi.matmul(wi) + bi
            // 3 products and a bias (4 roundings, either kernel), relative to the sums of magnitudes.
            let magnitudes = try xi.abs().matmul(wi.abs()) + bi.abs()
            let condition = try Float32Tolerance.condition(magnitudes: magnitudes, result: manual)
            #expect(try y.select(dim: 0, index: i).relativeError(to: manual) <= Float32Tolerance.depth(4, condition: condition))
        }
    }

    @Test("position embeddings add grid cell h * maxWidth + w, also on a smaller grid")
    func positionEmbeddings() throws {
        let pe = try PositionEmbeddings(maxHeight: 3, maxWidth: 4, dim: 2, generator: nil)
        let x = try Tensor.zeros([1, 2, 3, 2])
        let y = try pe(x)
        let table = pe.positionEmbeddings.weight.tensor
        let index = try Tensor([Int64(0), 1, 2, 4, 5, 6])
        #expect(try maxAbsDifference(y.reshape([6, 2]), table.indexSelect(dim: 0, index: index)) == 0)
        #expect(throws: DiMRError.self) { try pe(Tensor.zeros([1, 4, 4, 2])) }
    }
}

extension Tensor {
    static func eye(_ n: Int) throws -> Tensor {
        var values = [Float](repeating: 0, count: n * n)
        for i in 0..<n { values[i * n + i] = 1 }
        return try Tensor(values, shape: [n, n])
    }

    static func eye4() throws -> Tensor { try eye(4) }
}
