import Foundation
import Testing
@testable import DiMR
import NN
import TestSupport
import Torch

@Suite("Gradient checkpointing")
struct CheckpointTests {
    private final class Witness: @unchecked Sendable {
        nonisolated(unsafe) static var alive = 0
        init() { Witness.alive += 1 }
        deinit { Witness.alive -= 1 }
    }

    @Test("a checkpointed function gives the same values and gradients, recomputing once in backward")
    func checkpointFunction() throws {
        let w = try Tensor.randn([4, 4], generator: Generator(seed: 1)).requiresGrad(true)
        let x0 = try Tensor.randn([3, 4], generator: Generator(seed: 2)).requiresGrad(true)
        var calls = 0
        let body: ([Tensor]) throws -> [Tensor] = { inputs in
            calls += 1
            return [try inputs[0].matmul(w).tanh(), try inputs[0].sum()]
        }
        let plain = try body([x0])
        try (plain[0].square().sum() + plain[1]).backward()
        let gw = try #require(w.grad).clone(), gx = try #require(x0.grad).clone()
        try w.setGrad(nil)
        try x0.setGrad(nil)

        calls = 0
        let x = try x0 * 1  // a non-leaf input, as inside a network
        let outs = try Checkpoint.run([x], body)
        #expect(calls == 1)
        #expect(try maxAbsDifference(outs[0], plain[0]) == 0)
        try (outs[0].square().sum() + outs[1]).backward()
        #expect(calls == 2)
        // The recomputed forward is the same; autograd may add the two outputs' gradients reaching x in
        // another order, and that rounding passes through tanh' and the matmul's backward (4 products):
        // well within the 16 roundings of the whole backward pass, relative to the gradients.
        #expect(try #require(w.grad).relativeError(to: gw) <= Float32Tolerance.depth(16))
        #expect(try #require(x0.grad).relativeError(to: gx) <= Float32Tolerance.depth(16))
    }

    @Test("errors of the function are rethrown and its captures are released")
    func errorsAndRelease() throws {
        #expect(Witness.alive == 0)
        do {
            let witness = Witness()
            let x = try Tensor.ones([2]).requiresGrad(true) * 2
            let outs = try Checkpoint.run([x]) { inputs in
                _ = witness
                return [try inputs[0] * 3]
            }
            #expect(Witness.alive == 1)
            try outs[0].sum().backward()
        }
        #expect(Witness.alive == 0)
        struct Boom: Error {}
        #expect(throws: Boom.self) { try Checkpoint.run([Tensor.ones([2])]) { _ in throw Boom() } }
        #expect(throws: TorchError.self) { try Checkpoint.run([Tensor.ones([2])]) { i in [try i[0].reshape([3])] } }
    }

    @Test("a checkpointed DiMR gives the gradients of the plain one", arguments: [0.0, 0.3])
    func modelGradients(dropout: Double) throws {
        var config = DiMRConfig.fashionMNIST3R
        for i in config.stageConfigs.indices {
            config.stageConfigs[i].dim /= 4
            config.stageConfigs[i].hiddenDim /= 4
            config.stageConfigs[i].dropoutProb = dropout
        }
        config.stageConfigs[0].numAttentionHeads = 2
        let model = try DiMRModel(config: config, generator: Generator(seed: 3))
        let x = try Tensor.randn([2, 1, 32, 32], generator: Generator(seed: 4))
        let logSNR = try Tensor([Float(-2), 1]), y = try Tensor([Int64(1), 10])

        // The dropout masks come from a generator of the test's own: tests running in parallel draw
        // from the default one.
        let dropoutGenerator = try Generator(seed: 5)
        for case let dropout as Dropout in model.namedModules().map(\.module) { dropout.generator = dropoutGenerator }
        func gradients(checkpointing: Bool) throws -> ([Tensor], [Tensor]) {
            model.gradientCheckpointing = checkpointing
            try model.zeroGrad()
            try dropoutGenerator.manualSeed(5)
            let outputs = try model.forward(x, logSNR: logSNR, classes: y)
            var loss = try outputs[0].square().mean()
            for o in outputs.dropFirst() { loss = try loss + o.square().mean() }
            try loss.backward()
            return (outputs.map { (try? $0.detach()) ?? $0 }, try model.parameters.map { try #require($0.grad).clone() })
        }
        let (plainOut, plainGrads) = try gradients(checkpointing: false)
        let (ckptOut, ckptGrads) = try gradients(checkpointing: true)
        #expect(model.gradientCheckpointing)
        for (a, b) in zip(plainOut, ckptOut) { #expect(try maxAbsDifference(a, b) == 0) }
        var worst = 0.0
        for (a, b) in zip(plainGrads, ckptGrads) {
            worst = max(worst, try maxAbsDifference(a, b) / max(try b.abs().max().item(), 1e-12))
        }
        // The two differ only in the order in which autograd adds gradients reaching a tensor used more
        // than once (one rounding each); that difference then passes through the rest of the backward
        // pass, whose longest chain of reductions is the network's depth: 5 Transformer blocks at dim 32
        // (two norms of 2 * 32 + 8, attention over 65 tokens ~ 80, the MLP's 32 + 64) and 6 ConvNeXt
        // blocks at dims 16 and 8 (a 7 x 7 depthwise convolution 49, the norm, the MLP): about 800.
        #expect(worst <= Float32Tolerance.depth(800))
    }
}
