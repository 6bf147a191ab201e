import Diffusion
import Foundation
import Pipeline
import Testing
import Torch

/// The study's baselines (the DiT presets and DiMR with each norm type) go through the shared training loop,
/// checkpoint files and samplers unchanged.
@Suite struct BaselinePresetTests {
    static let baselines = NetworkPreset.all.filter { $0.name.hasPrefix("dit-") || $0.name.hasPrefix("fmnist-3r") }

    @Test("every baseline preset trains a few steps, saves, loads and samples through the shared code",
          arguments: baselines.map(\.name))
    func trainsAndSamples(name: String) throws {
        let preset = try NetworkPreset.named(name)
        var config = TrainingConfig(model: preset.config, lossCoefficients: preset.lossCoefficients,
                                    imageSize: preset.imageSize, dataset: .imageFolder(path: "unused"))
        config.batchSize = 2
        config.learningRate = 1e-3
        config.warmupSteps = 0
        config.seed = 3
        let g = try Generator(seed: 1)
        let images = try Tensor.rand([4, 1, 32, 32], generator: g) * 2 - 1
        let trainer = try Trainer(config: config, images: images, labels: Tensor([Int64(0), 3, 7, 9]))
        let before = try trainer.model.parameters.map { try $0.tensor.clone() }
        let losses = try (0..<2).map { _ in try trainer.trainStep().loss }
        #expect(losses.allSatisfy { $0.isFinite }, "\(losses)")
        #expect(zip(trainer.model.parameters, before).contains { (try? $0.tensor.relativeError(to: $1)) ?? 0 > 0 }, "the weights moved")

        let (tensors, metadata) = try trainer.checkpoint()
        let path = try CheckpointStore(directory: temporaryFolder("\(#function)\(name)")).save(step: trainer.step, tensors: tensors, metadata: metadata)
        let file = try ModelFile(path: path)
        #expect(file.config == preset.config)
        #expect(file.model.parameterCount == preset.config.parameterCount)
        let sampler = ClassGridSampler(model: file.model, nullClass: file.nullClass, imageShape: [1, 32, 32])
        let solver = try UniPCSampler(schedule: NoiseSchedule.stableDiffusion(), steps: 2, order: 2)
        let out = try sampler.sample(classes: [1, 8], perClass: 1, sampler: solver, guidance: .constant(scale: 1), seed: 5)
        #expect(out.images.shape == [2, 1, 32, 32])
        #expect(try out.images.isFinite().all().item() != 0)
    }

    @Test("a DiT checkpoint records model_type DiT and a DiMR one reads as before; an unknown model_type is named")
    func configurationJSON() throws {
        let dit = try #require(NetworkPreset.all.first { $0.name == "dit-fmnist-p2" })
        #expect(try dit.config.toJSON().contains(#""model_type":"DiT""#))
        #expect(try NetworkConfig.fromJSON(dit.config.toJSON()) == dit.config)
        let dimr = try NetworkPreset.named("fmnist-3r")
        #expect(try !dimr.config.toJSON().contains("model_type"))
        #expect(try NetworkConfig.fromJSON(dimr.config.toJSON()) == dimr.config)
        #expect {
            _ = try NetworkConfig.fromJSON(#"{"model_type":"UNet","channels":1}"#)
        } throws: { "\($0)".contains("unknown model_type UNet") }
    }
}
