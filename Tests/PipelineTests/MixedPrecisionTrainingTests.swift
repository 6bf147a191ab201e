import DiMR
import Diffusion
import Foundation
import NN
import Pipeline
import Testing
import TestSupport
import Torch

/// Training and sampling in bfloat16 mixed precision. The bfloat16 arithmetic itself runs on any x86-64 CPU
/// (libtorch emulates it where the instructions are missing); only the command line refuses it there.
@Suite struct MixedPrecisionTrainingTests {
    @Test("a bf16 step keeps float32 master weights, gradients, AdamW state and EMA")
    func masterWeightsStayFloat32() throws {
        let (images, labels) = try tinyData()
        let trainer = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
        trainer.precision = .bfloat16
        let initial = try trainer.model.parameters.map { try $0.tensor.clone() }
        for _ in 0..<2 {  // the first step's learning rate is 0 (warm-up): the second one moves the weights
            let report = try trainer.trainStep()
            #expect(report.loss.isFinite)
        }
        #expect(zip(trainer.model.parameters, initial).contains { (try? maxAbsDifference($0.tensor, $1)) ?? 0 > 0 },
                "the weights moved")
        for (name, parameter) in trainer.model.namedParameters() {
            #expect(parameter.tensor.dtype == .float32, "\(name)")
            if let grad = parameter.grad { #expect(grad.dtype == .float32, "gradient of \(name)") }
        }
        let optimizerState = try trainer.optimizer.stateDict(prefix: "")
        #expect(optimizerState.count == 3 * trainer.model.parameters.count)
        for (name, tensor) in optimizerState where !name.hasSuffix(".step") {
            #expect(tensor.dtype == .float32, "optimizer \(name)")
        }
        for (name, tensor) in trainer.ema.stateDict() { #expect(tensor.dtype == .float32, "EMA \(name)") }
        let (tensors, metadata) = try trainer.checkpoint()
        #expect(metadata["precision"] == "bf16")
        for (name, tensor) in tensors where tensor.dtype.isFloatingPoint {
            #expect(tensor.dtype == .float32, "checkpoint \(name)")
        }
    }

    @Test("a bf16 run's checkpoint resumes and samples in float32, and a float32 run's in bf16")
    func checkpointsLoadEitherWay() throws {
        let (images, labels) = try tinyData()
        for (saved, loaded) in [(Precision.bfloat16, Precision.float32), (.float32, .bfloat16)] {
            let first = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
            first.precision = saved
            for _ in 0..<3 { try first.trainStep() }
            let (tensors, metadata) = try first.checkpoint()
            let path = try CheckpointStore(directory: temporaryFolder()).save(step: first.step, tensors: tensors, metadata: metadata)

            let second = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
            second.precision = loaded
            try second.restore(from: SafeTensorsFile(path: path))
            #expect(second.step == 3)
            #expect(second.restoredPrecision == saved.rawValue)
            let change = "precision: \(saved.rawValue) in the checkpoint, \(loaded.rawValue) in this run"
            #expect(second.recordPrecisionChange() == change)
            #expect(second.recordPrecisionChange() == nil, "recorded once")
            for ((name, ours), (_, theirs)) in zip(second.model.namedParameters(), first.model.namedParameters()) {
                #expect(try maxAbsDifference(ours.tensor, theirs.tensor) == 0, "\(name) restored exactly")
            }
            #expect(try second.trainStep().loss.isFinite)
            let changes = try second.checkpoint().metadata[Trainer.recipeChangesKey] ?? ""
            #expect(try JSONDecoder().decode([String].self, from: Data(changes.utf8)) == ["step 3: \(change)"])

            let file = try ModelFile(path: path)
            var sampler = ClassGridSampler(model: file.model, nullClass: file.nullClass, imageShape: [1, 8, 8])
            sampler.precision = loaded
            let solver = try AuthorsDPMSolver(schedule: NoiseSchedule.stableDiffusion(), steps: 3)
            let out = try sampler.sample(classes: [0, 2], perClass: 2, sampler: solver, guidance: .constant(scale: 1), seed: 5)
            #expect(out.images.shape == [4, 1, 8, 8] && out.images.dtype == .float32)
            #expect(try out.images.isFinite().all().item() != 0)
        }
    }
}
