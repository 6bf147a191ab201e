import DiMR
import Diffusion
import Foundation
import Pipeline
import Testing
import TestSupport
import Torch

@Suite struct TrainerTests {
    @Test func resumeContinuesTheSameRun() throws {
        let (images, labels) = try tinyData()
        let straight = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
        var expected: [Double] = []
        for _ in 0..<20 { expected.append(try straight.trainStep().loss) }

        let first = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
        var resumed: [Double] = []
        for _ in 0..<10 { resumed.append(try first.trainStep().loss) }
        let dir = try temporaryFolder()
        let store = try CheckpointStore(directory: dir)
        let (tensors, metadata) = try first.checkpoint()
        let path = try store.save(step: first.step, tensors: tensors, metadata: metadata)

        let second = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
        try second.restore(from: SafeTensorsFile(path: path))
        #expect(second.step == 10)
        #expect(second.recordPrecisionChange() == nil && second.recipeChanges.isEmpty, "same precision: nothing to record")
        for _ in 0..<10 { resumed.append(try second.trainStep().loss) }
        // A resume restores every bit (weights, AdamW and EMA state, data order, random state) and this
        // process runs the same kernels on the same CPU: the losses are identical, not merely close.
        let worst = zip(expected, resumed).map { abs($0 - $1) }.max() ?? 1
        #expect(worst == 0, "20 straight vs 10 + resume + 10 differ by \(worst)")
        // The losses change from step to step: the comparison is not trivially equal.
        #expect(Set(expected).count > 15)
    }

    @Test func nonFiniteLossStopsAndKeepsTheCheckpoint() throws {
        let (images, labels) = try tinyData()
        let trainer = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
        for _ in 0..<3 { try trainer.trainStep() }
        let dir = try temporaryFolder()
        let store = try CheckpointStore(directory: dir)
        let (tensors, metadata) = try trainer.checkpoint()
        let path = try store.save(step: trainer.step, tensors: tensors, metadata: metadata)
        let before = try SafeTensorsFile(path: path).tensor("model.stages.0.output_layer.2.weight").toArray(Float.self)

        try withNoGrad { try trainer.model.parameters[0].tensor.fill_(.nan) }
        #expect(throws: PipelineError.self) { try trainer.trainStep() }
        do {
            try trainer.trainStep()
        } catch let error as PipelineError {
            #expect(error.message.contains("nan"), "message: \(error.message)")
        }
        #expect(trainer.step == 3)
        #expect(store.list().map(\.step) == [3])
        let after = try SafeTensorsFile(path: path).tensor("model.stages.0.output_layer.2.weight").toArray(Float.self)
        #expect(before == after)
    }

    @Test func nanImagesAreRefusedAtTheFirstStep() throws {
        let (images, labels) = try tinyData()
        let bad = try images.maskedFill(try Tensor.rand(images.shape) .< 0.1, .nan)
        let trainer = try Trainer(config: tinyTrainingConfig(), images: bad, labels: labels)
        #expect(throws: PipelineError.self) { try trainer.trainStep() }
    }

    @Test func restoreRejectsAnotherConfiguration() throws {
        let (images, labels) = try tinyData()
        let trainer = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
        try trainer.trainStep()
        let dir = try temporaryFolder()
        let (tensors, metadata) = try trainer.checkpoint()
        let path = try CheckpointStore(directory: dir).save(step: 1, tensors: tensors, metadata: metadata)
        var other = tinyTrainingConfig()
        other.learningRate = 5e-4
        let second = try Trainer(config: other, images: images, labels: labels)
        #expect(throws: PipelineError.self) { try second.restore(from: SafeTensorsFile(path: path)) }
        #expect(second.step == 0)
    }

    @Test func badLabelsAndShapesAreClearErrors() throws {
        let (images, _) = try tinyData()
        let tooBig = try Tensor((0..<24).map { _ in Int64(3) })
        #expect(throws: PipelineError.self) { try Trainer(config: tinyTrainingConfig(), images: images, labels: tooBig) }
        let wrongSize = try Tensor.zeros([24, 1, 16, 16])
        let labels = try Tensor((0..<24).map { Int64($0 % 3) })
        #expect(throws: PipelineError.self) { try Trainer(config: tinyTrainingConfig(), images: wrongSize, labels: labels) }
    }

    @Test func checkpointStoreKeepsTheNewest() throws {
        let dir = try temporaryFolder()
        let store = try CheckpointStore(directory: dir, keep: 2)
        for step in [5, 10, 15] {
            try store.save(step: step, tensors: ["x": try Tensor([Float(step)])], metadata: [:])
        }
        #expect(store.list().map(\.step) == [10, 15])
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(names.allSatisfy { !$0.contains(".tmp") })
    }
}

@Suite struct SamplingTests {
    @Test func imagesDoNotDependOnBatchSize() throws {
        let model = try DiMRModel(config: tinyConfig(), generator: Generator(seed: 1))
        model.eval()
        let solver = try AuthorsDPMSolver(schedule: NoiseSchedule.stableDiffusion(), steps: 6)
        var sampler = ClassGridSampler(model: model, nullClass: 3, imageShape: [1, 8, 8])
        sampler.batchSize = 64
        let big = try sampler.sample(classes: [0, 1, 2], perClass: 3, sampler: solver, guidance: .constant(scale: 1), seed: 11)
        sampler.batchSize = 1
        let small = try sampler.sample(classes: [0, 1, 2], perClass: 3, sampler: solver, guidance: .constant(scale: 1), seed: 11)
        #expect(big.images.shape == [9, 1, 8, 8])
        // Another batch size may take other kernels' rounding order in every layer. The tiny network's
        // longest chain of reductions: the Transformer block (two norms of 2 * 16 + 8, q/k/v and output
        // projections 16 each, attention over 17 tokens ~ 25, the MLP 16 + 32) and the ConvNeXt block (3 x 3
        // depthwise 9, norm 24, MLP 8 + 16) with the up-sampling norms: about 360 per call, plus the
        // guidance and the solver's update (20), over 6 calls.
        let diff = try small.images.relativeError(to: big.images)
        #expect(diff <= Float32Tolerance.depth(6 * 380))
        #expect(try big.labels.toArray(Int64.self) == [0, 0, 0, 1, 1, 1, 2, 2, 2])
        // Different seeds give different images.
        let other = try sampler.sample(classes: [0], perClass: 1, sampler: solver, guidance: .none, seed: 12)
        #expect(try (other.images - big.images.narrow(dim: 0, start: 0, length: 1)).abs().max().item() > 1e-3)
    }

    @Test func outOfRangeClassIsAnError() throws {
        let model = try DiMRModel(config: tinyConfig())
        let solver = try AuthorsDPMSolver(schedule: NoiseSchedule.stableDiffusion(), steps: 3)
        let sampler = ClassGridSampler(model: model, nullClass: 3, imageShape: [1, 8, 8])
        #expect(throws: PipelineError.self) {
            try sampler.sample(classes: [3], perClass: 1, sampler: solver, guidance: .none, seed: 0)
        }
    }
}
