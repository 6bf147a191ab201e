import Datasets
import Foundation
import Pipeline
import Testing
import Torch

/// What a training run keeps when a step fails part-way through a run.
@Suite struct TrainingRunErrorTests {
    /// A latent folder for the tiny model (moments 2x8x8, classes a, b, c): 2 shards of 4 images, labels `labels`.
    func writeFolder(_ folder: String, labels: [Int64]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var index = LatentIndex(imageSize: 8, momentsShape: [2, 8, 8], classes: ["a", "b", "c"], sourceCount: 8, shardSize: 4,
                                fingerprint: "test", autoencoder: "none")
        for shard in 0..<2 {
            let moments = try Tensor.rand([4, 2, 2, 8, 8], generator: Generator(seed: UInt64(shard))) * 0.5
            let file = "shard-0000\(shard).safetensors"
            try SafeTensors.save(["moments": moments, "labels": try Tensor(labels)], to: folder + "/" + file)
            index.shards.append(.init(file: file, count: 4))
        }
        index.processed = 8
        try index.write(folder: folder)
    }

    /// A training run of the tiny model (batch 2) in a fresh folder ROOT/run, on a latent folder ROOT/latents.
    func latentRun(_ name: String) throws -> (root: String, latents: String, run: TrainingRun) {
        let root = try temporaryFolder(name)
        let latents = root + "/latents"
        try writeFolder(latents, labels: [0, 1, 2, 0])
        var config = tinyTrainingConfig(dataset: .latents(path: latents))
        config.batchSize = 2
        return (root, latents, try TrainingRun(directory: root + "/run", config: config))
    }

    @Test("a shard that turns bad mid-run stops training with its name, and the steps made before are saved")
    func badShardMidRun() throws {
        let (root, latents, run) = try latentRun(#function)
        var options = RunOptions(steps: 1)
        options.checkpointEvery = 0
        try run.run(options, progress: false)  // step 1 from the first shard of the epoch, saved as the last step
        // Both shards are rewritten with a label outside the classes; step 2 still reads the shard already open.
        try writeFolder(latents, labels: [0, 7, 0, 0])
        options.steps = 10
        do {
            try run.run(options, progress: false)
            Issue.record("training went on past a bad shard")
        } catch let error as DatasetError {
            #expect(error.message.contains("outside the index's 3 classes"), "\(error.message)")
        }
        #expect(run.trainer.step == 2)
        let saved = try FileManager.default.contentsOfDirectory(atPath: root + "/run/checkpoints").filter { $0.hasSuffix(".safetensors") }.sorted()
        #expect(saved == ["step-00000001.safetensors", "step-00000002.safetensors"])
    }

    @Test("a stop asked for between steps (after a step's own check) saves the steps made, one step later")
    func stopBetweenSteps() throws {
        let (root, _, run) = try latentRun(#function)
        // The stop arrives once step 2 has passed its own check (as Ctrl-C during a backward pass does): the steps
        // made must not be lost at the top of the loop.
        final class Watch: @unchecked Sendable { weak var trainer: Trainer? }
        let watch = Watch()
        watch.trainer = run.trainer
        run.trainer.stopRequested = { (watch.trainer?.step ?? 0) >= 2 }
        var options = RunOptions(steps: 100)
        options.checkpointEvery = 0
        try run.run(options, progress: false)
        #expect(run.interrupted)
        #expect(run.trainer.step == 3)
        let saved = try FileManager.default.contentsOfDirectory(atPath: root + "/run/checkpoints").filter { $0.hasSuffix(".safetensors") }
        #expect(saved == ["step-00000003.safetensors"])
    }

    @Test("sampled images with a NaN or an infinity are refused before they are saved; finite ones pass")
    func nonFiniteSamples() throws {
        let finite = try Tensor([Float(0.5), -1, 1, 0], shape: [1, 1, 2, 2])
        try ClassGridSampler.checkFinite(finite, indices: 0..<1)
        for bad in [Float.nan, .infinity, -.infinity] {
            let images = try Tensor([Float(0.5), bad, 1, 0, 0, 0, 0, 0], shape: [2, 1, 2, 2])
            #expect(throws: PipelineError.self) { try ClassGridSampler.checkFinite(images, indices: 4..<6) }
        }
    }
}
