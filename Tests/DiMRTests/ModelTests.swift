import Foundation
import Testing
@testable import DiMR
import NN
import Torch

@Suite("DiMR model")
struct ModelTests {
    private func tinyConfig(blockGrad: Bool = false, norm: NormType = .timeDependentRMSNorm, dropout: Double = 0) -> DiMRConfig {
        DiMRConfig(channels: 1, numClasses: 3, normType: norm, blockGradToLowres: blockGrad, stageConfigs: [
            StageConfig(blockType: .transformer, dim: 8, hiddenDim: 16, numAttentionHeads: 2, numBlocks: 2,
                        maxHeight: 4, maxWidth: 4, imageInputRatio: 1, inputFeatureRatio: 2, dropoutProb: dropout),
            StageConfig(blockType: .convNeXt, dim: 4, hiddenDim: 8, kernelSize: 3, numBlocks: 1,
                        maxHeight: 8, maxWidth: 8, imageInputRatio: 1, inputFeatureRatio: 1, dropoutProb: dropout),
        ])
    }

    private func inputs(_ seed: UInt64) throws -> (Tensor, Tensor, Tensor) {
        let g = try Generator(seed: seed)
        return (try Tensor.randn([2, 1, 8, 8], generator: g), try Tensor([Float(-1), 2]), try Tensor([Int64(0), 2]))
    }

    @Test("the same seed draws the authors' initial weights (torch.manual_seed, then MRModel)")
    func initialisationMatchesAuthors() throws {
        let file = try SafeTensorsFile(path: Fixtures.path("init3r_seed7.safetensors"))
        let config = try DiMRConfig.fromJSON(try #require(file.metadata["config"]))
        let seed = try #require(file.metadata["seed"].flatMap { UInt64($0) })
        let model = try DiMRModel(config: config, generator: Generator(seed: seed))
        let names = model.namedParameters().map(\.name)
        #expect(Set(names) == Set(file.names.map { String($0.dropFirst("init.".count)) }))
        for (name, parameter) in model.namedParameters() {
            let reference = try file.tensor("init." + name)
            #expect(try maxAbsDifference(parameter.tensor, reference) == 0, "\(name)")
        }
    }

    @Test("outputs come lowest resolution first with the image channels")
    func outputShapes() throws {
        let model = try DiMRModel(config: DiMRConfig.fashionMNIST3R, generator: Generator(seed: 1))
        model.eval()
        let x = try Tensor.randn([2, 1, 32, 32], generator: Generator(seed: 2))
        let outputs = try withNoGrad { try model.predict(x, logSNR: Tensor([Float(0.5), -3]), classes: Tensor([Int64(1), 10])) }
        #expect(outputs.map(\.shape) == [[2, 1, 8, 8], [2, 1, 16, 16], [2, 1, 32, 32]])
    }

    @Test("block_grad_to_lowres keeps the high-resolution loss out of the lower stages")
    func blockGradToLowres() throws {
        for blocked in [true, false] {
            let model = try DiMRModel(config: tinyConfig(blockGrad: blocked), generator: Generator(seed: 3))
            let (x, logSNR, y) = try inputs(4)
            let outputs = try model.forward(x, logSNR: logSNR, classes: y)
            try outputs[1].square().mean().backward()
            let lowStage = model.namedParameters().filter { $0.name.hasPrefix("stages.0.") && !$0.name.contains("output_layer") }
            let reached = try lowStage.contains { try ($0.parameter.grad?.abs().max().item() ?? 0) > 0 }
            #expect(reached == !blocked, "blocked: \(blocked)")
            let highStage = try #require(model.namedParameters().first { $0.name == "stages.1.skip_denses.0.weight" }
                ?? model.namedParameters().first { $0.name.hasPrefix("stages.1.blocks.0") })
            #expect(try (highStage.parameter.grad?.abs().max().item() ?? 0) > 0)
        }
    }

    @Test("dropout acts in training mode only")
    func dropout() throws {
        let model = try DiMRModel(config: tinyConfig(dropout: 0.5), generator: Generator(seed: 5))
        let (x, logSNR, y) = try inputs(6)
        model.eval()
        let a = try withNoGrad { try model.forward(x, logSNR: logSNR, classes: y) }
        let b = try withNoGrad { try model.forward(x, logSNR: logSNR, classes: y) }
        #expect(try maxAbsDifference(a[1], b[1]) == 0)
        model.train()
        let c = try withNoGrad { try model.forward(x, logSNR: logSNR, classes: y) }
        #expect(try maxAbsDifference(a[1], c[1]) > 0)
    }

    @Test("bad inputs are rejected with a message")
    func badInputs() throws {
        let model = try DiMRModel(config: tinyConfig(), generator: Generator(seed: 7))
        let (x, logSNR, y) = try inputs(8)
        #expect(throws: DiMRError.self) { try model.forward(x.reshape([2, 64]), logSNR: logSNR, classes: y) }
        #expect(throws: DiMRError.self) { try model.forward(Tensor.zeros([2, 3, 8, 8]), logSNR: logSNR, classes: y) }
        #expect(throws: DiMRError.self) { try model.forward(x, logSNR: logSNR, classes: nil) }
        #expect(throws: DiMRError.self) { try model.forward(x, logSNR: logSNR, classes: y.to(.float32)) }
        #expect(throws: DiMRError.self) { try model.forward(x, logSNR: Tensor([Float(1), 2, 3]), classes: y) }
        #expect(throws: (any Error).self) { try model.forward(Tensor.zeros([2, 1, 16, 16]), logSNR: logSNR, classes: y) }
    }

    @Test("an unconditional model runs without classes")
    func unconditional() throws {
        var config = tinyConfig()
        config.numClasses = nil
        let model = try DiMRModel(config: config, generator: Generator(seed: 9))
        #expect(!model.namedParameters().contains { $0.name.contains("class_embeds") })
        let (x, logSNR, _) = try inputs(10)
        let outputs = try model.forward(x, logSNR: logSNR, classes: nil)
        #expect(outputs.map(\.shape) == [[2, 1, 4, 4], [2, 1, 8, 8]])
    }
}
