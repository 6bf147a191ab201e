import DiMR
import Datasets
import Diffusion
import Foundation
import NN
import Torch

/// Loads the images a `DatasetSpec` names, as (N, C, S, S) float32 in [-1, 1] and int64 labels, with the
/// image files left out by `options.skipBadFiles`.
public func loadTrainingImages(_ spec: DatasetSpec, imageSize: Int, channels: Int,
                               options: ImageLoadOptions = ImageLoadOptions()) throws
    -> (images: Tensor, labels: Tensor, skipped: [SkippedFile]) {
    switch spec {
    case .fashionMNIST(let directory):
        guard channels == 1, imageSize == FashionMNIST.side else {
            throw PipelineError("Fashion-MNIST images are 1x\(FashionMNIST.side)x\(FashionMNIST.side); the model wants \(channels)x\(imageSize)x\(imageSize)")
        }
        let data = try FashionMNIST(split: .train, directory: directory)
        return (data.images, data.labels, [])
    case .imageFolder(let path):
        let data = try ImageFolder(directory: path, width: imageSize, height: imageSize, channels: channels,
                                   options: options)
        return (data.images, data.labels, data.skipped)
    }
}

/// Options of a training run that do not change its results: how long, how often to save and report.
public struct RunOptions: Sendable {
    /// Train until this many steps are done in total.
    public var steps: Int
    /// Save a checkpoint every this many steps (and at the end).
    public var checkpointEvery: Int = 500
    /// Write a guided sample grid every this many steps (0 = never).
    public var sampleEvery: Int = 0
    /// Write a metrics record every this many steps.
    public var logEvery: Int = 10
    /// Sampler steps (network calls) for the periodic grids.
    public var sampleSteps: Int = 25
    /// Guidance of the periodic grids.
    public var guidance: Guidance = .constant(scale: 1.0)
    /// Where the grids' guidance applies; nil: at every step.
    public var guidanceInterval: GuidanceInterval?

    /// Options for a run of `steps` steps.
    public init(steps: Int) { self.steps = steps }
}

/// `dimr train` as a library call: an output folder with checkpoints, a metrics log and sample grids.
public final class TrainingRun {
    /// The trainer (model, EMA, optimizer, data).
    public let trainer: Trainer
    /// The output folder.
    public let directory: String
    private let store: CheckpointStore
    private let metrics: MetricsLog
    /// Whether the run continued from a checkpoint, and from which.
    public let resumedFrom: String?
    /// Image files left out of the data by `imageOptions.skipBadFiles`.
    public let skippedImages: [SkippedFile]

    /// Opens `directory`: resumes from its newest checkpoint when there is one (the configuration
    /// must then match), else starts a new run with `config`. `imageOptions` says how an image folder is read.
    public init(directory: String, config: TrainingConfig, keep: Int = 3, device: Device = .cpu,
                imageOptions: ImageLoadOptions = ImageLoadOptions()) throws {
        self.directory = directory
        store = try CheckpointStore(directory: directory + "/checkpoints", keep: keep)
        let (images, labels, skipped) = try loadTrainingImages(config.dataset, imageSize: config.imageSize,
                                                               channels: config.model.channels, options: imageOptions)
        skippedImages = skipped
        trainer = try Trainer(config: config, images: images, labels: labels, device: device)
        if let latest = store.latest {
            let file: SafeTensorsFile
            do {
                file = try SafeTensorsFile(path: latest)
            } catch {
                throw PipelineError("cannot resume: the newest checkpoint \(latest) is unreadable (\(error)); move it away to resume from the one before")
            }
            try trainer.restore(from: file)
            resumedFrom = latest
        } else {
            resumedFrom = nil
        }
        metrics = try MetricsLog(path: directory + "/metrics.jsonl")
    }

    /// Saves a checkpoint of the current step.
    @discardableResult
    public func saveCheckpoint() throws -> String {
        let (tensors, metadata) = try trainer.checkpoint()
        return try store.save(step: trainer.step, tensors: tensors, metadata: metadata)
    }

    /// Trains until `options.steps`, checkpointing, logging and sampling as asked; stops early
    /// (after saving) when interrupted. Returns the losses of the steps it ran.
    @discardableResult
    public func run(_ options: RunOptions, progress: Bool = true) throws -> [Double] {
        var bar = ProgressBar(total: options.steps, startStep: trainer.step)
        var losses: [Double] = []
        var recent: [Double] = []
        let batch = trainer.config.batchSize
        while trainer.step < options.steps {
            let started = Date()
            let report = try trainer.trainStep()
            losses.append(report.loss)
            recent.append(report.loss)
            if recent.count > 50 { recent.removeFirst() }
            let avg = recent.reduce(0, +) / Double(recent.count)
            if report.step % options.logEvery == 0 || report.step == options.steps {
                var record: [String: Double] = ["step": Double(report.step), "loss": report.loss, "loss_avg": avg,
                                                "lr": report.learningRate,
                                                "images_per_s": Double(batch) / Date().timeIntervalSince(started)]
                if let n = report.gradNorm { record["grad_norm"] = n }
                try metrics.write(record)
            }
            if progress {
                bar.update(step: report.step, items: losses.count * batch,
                           fields: [("loss", String(format: "%.4f", avg)), ("lr", String(format: "%.2e", report.learningRate))])
            }
            let last = report.step == options.steps
            if report.step % options.checkpointEvery == 0 || last || Interrupt.requested {
                try saveCheckpoint()
            }
            if options.sampleEvery > 0 && (report.step % options.sampleEvery == 0 || last) {
                try writeSampleGrid(options)
            }
            if Interrupt.requested {
                if progress { bar.finish() }
                FileHandle.standardError.write(Data("interrupted: checkpoint of step \(report.step) saved; run the same command to resume\n".utf8))
                return losses
            }
        }
        if progress { bar.finish() }
        return losses
    }

    /// Writes a grid of guided samples from the EMA model: one row per class.
    public func writeSampleGrid(_ options: RunOptions) throws {
        let model = try trainer.emaModel()
        let classes = trainer.config.nullClass
        let perClass = 8
        let sampler = try AuthorsDPMSolver(schedule: NoiseSchedule.stableDiffusion(), steps: options.sampleSteps)
        let images = try withNoGrad {
            try ClassGridSampler(model: model, nullClass: classes, imageShape: [trainer.config.model.channels, trainer.config.imageSize, trainer.config.imageSize])
                .sample(classes: Array(0..<classes), perClass: perClass, sampler: sampler, guidance: options.guidance,
                        guidanceInterval: options.guidanceInterval, seed: 0)
        }
        try FileManager.default.createDirectory(atPath: directory + "/samples", withIntermediateDirectories: true)
        try ImageGrid.write(images.images, to: directory + String(format: "/samples/step-%08d.png", trainer.step), columns: perClass)
    }
}
