import Testing
import TestSupport
import Torch
@testable import NN

@Suite("NN layers")
struct LayerTests {
    @Test func linearForwardMatchesPyTorch() throws {
        let layer = try Linear(5, 4)
        try layer.loadStateDict(["weight": NNRefs.tensor("linear.weight"), "bias": NNRefs.tensor("linear.bias")])
        // 5 products and a bias: 6 roundings, relative to the same sums of magnitudes.
        let x = try NNRefs.tensor("linear.x")
        let magnitudes = try x.abs().matmul(layer.weight.tensor.abs().transpose(0, 1)) + #require(layer.bias).tensor.abs()
        let condition = try Float32Tolerance.condition(magnitudes: magnitudes, result: NNRefs.tensor("linear.out"))
        try expectMatches(layer(x), "linear.out", tolerance: Float32Tolerance.depth(6, condition: condition))
        #expect(layer.namedParameters().map(\.name) == ["weight", "bias"])
        #expect(try Linear(5, 4, bias: false).namedParameters().map(\.name) == ["weight"])
    }

    @Test func conv2dForwardMatchesPyTorch() throws {
        let layer = try Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1, groups: 2)
        #expect(layer.weight.tensor.shape == [6, 2, 3, 3])
        try layer.loadStateDict(["weight": NNRefs.tensor("conv2d.weight"), "bias": NNRefs.tensor("conv2d.bias")])
        // 2 channels per group * 3 * 3 products and a bias: 19 roundings, relative to the magnitudes.
        let x = try NNRefs.tensor("conv2d.x")
        let magnitudes = try x.abs().conv2d(weight: layer.weight.tensor.abs(), bias: #require(layer.bias).tensor.abs(),
                                            stride: [2, 2], padding: [1, 1], groups: 2)
        let condition = try Float32Tolerance.condition(magnitudes: magnitudes, result: NNRefs.tensor("conv2d.out"))
        try expectMatches(layer(x), "conv2d.out", tolerance: Float32Tolerance.depth(19, condition: condition))
    }

    @Test func convTranspose2dForwardMatchesPyTorch() throws {
        let layer = try ConvTranspose2d(4, 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2)
        #expect(layer.weight.tensor.shape == [4, 3, 3, 3])
        try layer.loadStateDict(["weight": NNRefs.tensor("convT.weight"), "bias": NNRefs.tensor("convT.bias")])
        // At most 2 channels per group * 3 * 3 products and a bias: 19 roundings, relative to the magnitudes.
        let x = try NNRefs.tensor("convT.x")
        let magnitudes = try x.abs().convTranspose2d(weight: layer.weight.tensor.abs(), bias: #require(layer.bias).tensor.abs(),
                                                     stride: [2, 2], padding: [1, 1], outputPadding: [1, 1], groups: 2)
        let condition = try Float32Tolerance.condition(magnitudes: magnitudes, result: NNRefs.tensor("convT.out"))
        try expectMatches(layer(x), "convT.out", tolerance: Float32Tolerance.depth(19, condition: condition))
    }

    @Test func layerNormForwardMatchesPyTorch() throws {
        let layer = try LayerNorm(8, eps: 1e-6)
        try layer.loadStateDict(["weight": NNRefs.tensor("layernorm.weight"), "bias": NNRefs.tensor("layernorm.bias")])
        // Normalising 8 values: mean (8), variance (10), reciprocal root (2), scaling and affine map
        // (4): 2 * 8 + 8 roundings relative to outputs of order 1.
        let tolerance = Float32Tolerance.depth(2 * 8 + 8)
        try expectMatches(layer(NNRefs.tensor("layernorm.x")), "layernorm.out", tolerance: tolerance)
        let plain = try LayerNorm(8, elementwiseAffine: false)
        #expect(plain.namedParameters().isEmpty)
        try expectMatches(plain(NNRefs.tensor("layernorm.x")), "layernorm.out_plain", tolerance: tolerance)
        #expect(try LayerNorm(8, bias: false).namedParameters().map(\.name) == ["weight"])
    }

    @Test func groupNormForwardMatchesPyTorch() throws {
        let layer = try GroupNorm(groups: 3, channels: 6, eps: 1e-6)
        try layer.loadStateDict(["weight": NNRefs.tensor("groupnorm.weight"), "bias": NNRefs.tensor("groupnorm.bias")])
        // Each group normalises 2 channels * 3 * 3 = 18 values: 2 * 18 + 8 roundings, as layer norm.
        try expectMatches(layer(NNRefs.tensor("groupnorm.x")), "groupnorm.out", tolerance: Float32Tolerance.depth(2 * 18 + 8))
        #expect(thrownMessage { _ = try GroupNorm(groups: 4, channels: 6) }?.contains("6 channels") == true)
    }

    @Test func embeddingLookupMatchesPyTorch() throws {
        let layer = try Embedding(7, 4)
        try layer.loadStateDict(["weight": NNRefs.tensor("embedding.weight")])
        try expectMatches(layer(NNRefs.tensor("embedding.indices")), "embedding.out", tolerance: 0)
    }

    @Test func defaultInitialisationMatchesPyTorch() throws {
        let linear = try Linear(5, 4, generator: Generator(seed: 11))
        try expectMatches(linear.weight.tensor, "init.linear.seed11.weight", tolerance: 0)
        try expectMatches(#require(linear.bias).tensor, "init.linear.seed11.bias", tolerance: 0)
        let conv = try Conv2d(4, 6, kernelSize: 3, groups: 2, generator: Generator(seed: 12))
        try expectMatches(conv.weight.tensor, "init.conv2d.seed12.weight", tolerance: 0)
        try expectMatches(#require(conv.bias).tensor, "init.conv2d.seed12.bias", tolerance: 0)
        let convT = try ConvTranspose2d(4, 6, kernelSize: 3, groups: 2, generator: Generator(seed: 13))
        try expectMatches(convT.weight.tensor, "init.convT.seed13.weight", tolerance: 0)
        try expectMatches(#require(convT.bias).tensor, "init.convT.seed13.bias", tolerance: 0)
        let embedding = try Embedding(7, 4, generator: Generator(seed: 14))
        try expectMatches(embedding.weight.tensor, "init.embedding.seed14.weight", tolerance: 0)
        #expect(embedding.weight.tensor.requiresGrad && embedding.weight.tensor.isLeaf)
    }

    @Test func truncatedNormalMatchesTimmAlgorithm() throws {
        let wide = try Tensor.empty([64, 16])
        try Init.truncatedNormal_(wide, std: 0.02, generator: Generator(seed: 15))
        try expectMatches(wide, "init.trunc_normal.seed15", tolerance: 0)
        let tight = try Tensor.empty([64, 16])
        try Init.truncatedNormal_(tight, mean: 0.5, std: 1, a: -0.5, b: 1, generator: Generator(seed: 16))
        try expectMatches(tight, "init.trunc_normal_tight.seed16", tolerance: 0)
        #expect(try tight.min().item() >= -0.5 && tight.max().item() <= 1)
    }

    @Test func simpleInitialisers() throws {
        let t = try Tensor.empty([3, 4])
        try Init.ones_(t)
        #expect(try t.toArray(Float.self).allSatisfy { $0 == 1 })
        try Init.zeros_(t)
        #expect(try t.toArray(Float.self).allSatisfy { $0 == 0 })
        try Init.constant_(t, 2.5)
        #expect(try t.toArray(Float.self).allSatisfy { $0 == 2.5 })
        let big = try Tensor.empty([200, 100])
        try Init.normal_(big, mean: 1, std: 0.5, generator: Generator(seed: 3))
        #expect(abs(try big.mean().item() - 1) < 0.02)
        #expect(abs(try big.variance().item().squareRoot() - 0.5) < 0.02)
        let fans = Init.fans(of: [6, 2, 3, 3])
        #expect(fans.fanIn == 18 && fans.fanOut == 54)
    }

    @Test func gradientsReachLayerParameters() throws {
        let layer = try Linear(5, 4, generator: Generator(seed: 1))
        let x = try Tensor.randn([3, 5], generator: Generator(seed: 2))
        try layer(x).sum().backward()
        let grad = try #require(layer.weight.grad)
        #expect(grad.shape == [4, 5])
        // d(sum)/dW[o, i] = sum over the batch of x[:, i], the same for every output row.
        // Both sides sum the same 3 values (2 roundings, in any order).
        try expectClose(grad, try x.sum(dims: [0], keepDim: true).expand([4, 5]),
                        tolerance: Float32Tolerance.depth(2, condition: Float32Tolerance.condition(
                            magnitudes: x.abs().sum(dims: [0]), result: x.sum(dims: [0]))))
    }

    @Test func invalidConfigurationsThrow() {
        #expect(thrownMessage { _ = try Conv2d(4, 6, kernelSize: 3, groups: 3) }?.contains("divisible") == true)
        #expect(thrownMessage { _ = try ConvTranspose2d(4, 4, kernelSize: 3, stride: 2, outputPadding: 2) } != nil)
        #expect(thrownMessage { _ = try Dropout(1.5) } != nil)
        #expect(thrownMessage { _ = try LayerNorm([]) } != nil)
    }

    @Test func dropoutIsIdentityInEvalAndDropsInTraining() throws {
        let dropout = try Dropout(0.5)
        let x = try Tensor.ones([100, 100])
        #expect(dropout.isTraining)
        let y = try dropout(x).toArray(Float.self)
        #expect(y.allSatisfy { $0 == 0 || $0 == 2 }, "kept elements are scaled by 1 / (1 - p)")
        let dropped = Double(y.filter { $0 == 0 }.count) / Double(y.count)
        #expect(dropped > 0.45 && dropped < 0.55, "dropped fraction \(dropped)")
        dropout.eval()
        #expect(try identical(dropout(x), x))
    }
}

/// Expects two tensors to agree within float32 rounding.
func expectClose(_ a: Tensor, _ b: Tensor, tolerance: Double, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(a.shape == b.shape, sourceLocation: sourceLocation)
    let error = try a.relativeError(to: b)
    #expect(error <= tolerance, "relative error \(error)", sourceLocation: sourceLocation)
}
