import DiMR
import Diffusion
import Foundation
import Pipeline
import Testing
import Torch

/// The message of the error `body` throws, or "accepted".
private func message(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "accepted"
    } catch {
        return "\(error)"
    }
}

@Suite struct OptionAndOutputTests {
    @Test("run options out of range are refused naming the option; 0 is accepted where it has a meaning")
    func runOptions() {
        func check(_ change: (inout RunOptions) -> Void) -> String {
            var options = RunOptions(steps: 10)
            change(&options)
            return message { try options.validate() }
        }
        #expect(check { $0.checkpointEvery = 0 } == "accepted")
        #expect(check { $0.sampleEvery = 0 } == "accepted")
        #expect(check { $0.steps = 0 } == "accepted")
        #expect(check { $0.checkpointEvery = -1 }.contains("--checkpoint-every"))
        #expect(check { $0.logEvery = 0 }.contains("--log-every"))
        #expect(check { $0.sampleSteps = 0 }.contains("--sample-steps"))
        #expect(check { $0.sampleEvery = -1 }.contains("--sample-every"))
        #expect(check { $0.guidance = .constant(scale: .nan) }.contains("--guidance-scale"))
        #expect(check { $0.steps = -1 }.contains("--steps"))
    }

    @Test("training configurations with NaN or negative values are refused, naming the value")
    func trainingConfig() {
        func check(_ change: (inout TrainingConfig) -> Void) -> String {
            var config = tinyTrainingConfig()
            change(&config)
            return message { try config.validate() }
        }
        #expect(check { _ in } == "accepted")
        #expect(check { $0.weightDecay = .nan }.contains("weight decay"))
        #expect(check { $0.weightDecay = -0.1 }.contains("weight decay"))
        #expect(check { $0.lossCoefficients = [.nan, 1] }.contains("loss coefficients"))
        #expect(check { $0.lossCoefficients = [-1, 1] }.contains("loss coefficients"))
        #expect(check { $0.lossCoefficients = [0, 0] }.contains("all 0"))
        #expect(check { $0.gradClip = .infinity }.contains("gradient clip"))
        #expect(check { $0.beta2 = 1 }.contains("beta2"))
        #expect(check { $0.imageSize = 0 }.contains("image size"))
        #expect(check { $0.imageSize = 16 }.contains("larger than its max_height"))
        #expect(check { $0.learningRate = .nan }.contains("learning rate"))
    }

    @Test("a locked folder is refused naming the holder; released, it can be taken again")
    func outputLock() throws {
        let folder = try temporaryFolder()
        let first = try OutputLock(folder: folder, command: "first")
        let refused = message { _ = try OutputLock(folder: folder, command: "second") }
        #expect(refused.contains("in use by another run"), "\(refused)")
        #expect(refused.contains("pid \(getpid())") && refused.contains("first"), "\(refused)")
        first.release()
        let again = try OutputLock(folder: folder, command: "third")
        again.release()
        let missing = message { _ = try OutputLock(folder: folder + "/absent", command: "x") }
        #expect(missing.contains("No such file or directory"), "\(missing)")
    }

    @Test("folder errors are plain words; temporary files of dead writers are removed, others kept")
    func fileErrors() throws {
        let root = try temporaryFolder()
        try Data().write(to: URL(fileURLWithPath: root + "/file"))
        let error = message { try FileErrors.createFolder(root + "/file/sub/deeper") }
        #expect(error == "cannot create folder \(root)/file/sub/deeper: Not a directory", "\(error)")
        try FileErrors.createFolder(root + "/a/b/c")
        var isFolder: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: root + "/a/b/c", isDirectory: &isFolder) && isFolder.boolValue)
        // A process that has ended: its pid no longer runs.
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        let names = [".step-1.safetensors.tmp-\(ended.processIdentifier)", ".grid.png.tmp-\(getpid())", "step-2.safetensors",
                     ".hidden", "notes.tmp-\(ended.processIdentifier)"]
        for name in names { try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/" + name)) }
        #expect(FileErrors.removeStaleTemporaries(in: root) == [names[0]])
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: root))
        #expect(left.isSuperset(of: names.dropFirst()))
        #expect(!left.contains(names[0]))
    }

    @Test("--classes takes indices and names, and says what is wrong")
    func classSelection() throws {
        let names = ["T-shirt/top", "Trouser", "Ankle boot"]
        #expect(try ClassSelection.parse("2, trouser,T-SHIRT/TOP, top,tshirt ,ankleboot,1", count: 3, names: names) == [2, 1, 0, 0, 0, 2, 1])
        #expect(message { _ = try ClassSelection.parse("", count: 3, names: names) } == "no classes given in --classes")
        #expect(message { _ = try ClassSelection.parse(" ,", count: 3, names: names) } == "no classes given in --classes")
        #expect(message { _ = try ClassSelection.parse("1,,2", count: 3, names: names) }.contains("empty item"))
        #expect(message { _ = try ClassSelection.parse("3", count: 3, names: names) }.contains("out of range"))
        #expect(message { _ = try ClassSelection.parse("-1", count: 3, names: names) }.contains("out of range"))
        let unknown = message { _ = try ClassSelection.parse("shoe", count: 3, names: names) }
        #expect(unknown.contains("unknown class \"shoe\"") && unknown.contains("2 Ankle boot"), "\(unknown)")
        #expect(message { _ = try ClassSelection.parse("cat", count: 3, names: nil) }.contains("records no class names"))
        // Fewer names than classes (an image folder on a larger model): indices still reach every class.
        #expect(try ClassSelection.parse("b,5", count: 10, names: ["a", "b"]) == [1, 5])
    }

    @Test("progress lines without a terminal carry no carriage return or escape codes")
    func progressLine() {
        let bar = ProgressBar(total: 10, startStep: 2, interactive: false)
        let line = bar.line(step: 3, items: 8, fields: [("loss", "0.5")])
        #expect(line.hasPrefix("step 3/10 loss 0.5"), "\(line)")
        #expect(!line.contains("\r") && !line.contains("\u{1B}"))
        let terminal = ProgressBar(total: Int.max, interactive: true)
        #expect(terminal.line(step: Int.max / 2, items: 0, fields: []).hasPrefix("[############............]"))
        #expect(ProgressBar.duration(.infinity) == "?")
    }

    @Test("batches stream one at a time, stop when asked, and match the all-at-once result")
    func streamedBatches() throws {
        let model = try DiMRModel(config: tinyConfig(), generator: Generator(seed: 1))
        model.eval()
        let solver = try AuthorsDPMSolver(schedule: NoiseSchedule.stableDiffusion(), steps: 3)
        var sampler = ClassGridSampler(model: model, nullClass: 3, imageShape: [1, 8, 8])
        sampler.batchSize = 2
        let whole = try sampler.sample(classes: [2, 0], perClass: 3, sampler: solver, guidance: .none, seed: 5)
        var seen: [(Int, [Int64])] = []
        var parts: [Tensor] = []
        try sampler.forEachBatch(classes: [2, 0], perClass: 3, sampler: solver, guidance: .none, seed: 5) { batch in
            seen.append((batch.start, try batch.labels.toArray(Int64.self)))
            parts.append(batch.images)
            #expect(batch.total == 6)
            return batch.start < 2
        }
        #expect(seen.map(\.0) == [0, 2])
        #expect(seen.map(\.1) == [[2, 2], [2, 0]])
        // The same computation on the same inputs in the same process: identical results.
        let diff = try (Tensor.cat(parts) - whole.images.narrow(dim: 0, start: 0, length: 4)).abs().max().item()
        #expect(diff == 0)
        let overflow = message {
            try sampler.forEachBatch(classes: [0, 1], perClass: Int.max, sampler: solver, guidance: .none, seed: 0) { _ in false }
        }
        #expect(overflow.contains("too many images"), "\(overflow)")
    }

    @Test("model files report their weights kind and class names; exported files keep both")
    func modelFileKinds() throws {
        let (images, labels) = try tinyData()
        let trainer = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
        trainer.classNames = ["cat", "dog", "owl"]
        // The first step runs at learning rate 0 (warm-up); the second changes the weights.
        for _ in 0..<2 { try trainer.trainStep() }
        let dir = try temporaryFolder()
        let (tensors, metadata) = try trainer.checkpoint()
        let path = try CheckpointStore(directory: dir).save(step: 2, tensors: tensors, metadata: metadata)
        let ema = try ModelFile(path: path)
        #expect(ema.weights == .ema && ema.weights.description == "EMA")
        #expect(ema.classNames == ["cat", "dog", "owl"])
        #expect(try ModelFile(path: path, useEMA: false).weights == .raw)
        try ModelFile.export(checkpoint: path, to: dir + "/exported.safetensors", half: false)
        let exported = try ModelFile(path: dir + "/exported.safetensors")
        #expect(exported.weights == .ema)
        #expect(exported.classNames == ["cat", "dog", "owl"])
        let refused = message { _ = try ModelFile(path: dir + "/exported.safetensors", useEMA: false) }
        #expect(refused.contains("only the EMA weights"), "\(refused)")
        // The EMA and raw weights differ after a step, so the kinds are not the same numbers under two names.
        let a = try ema.model.stateDict()["stages.0.output_layer.2.bias"].map { try $0.toArray(Float.self) }
        let b = try ModelFile(path: path, useEMA: false).model.stateDict()["stages.0.output_layer.2.bias"].map { try $0.toArray(Float.self) }
        #expect(a != nil && a != b)
    }
}
