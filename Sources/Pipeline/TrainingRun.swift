import Autoencoder
import DiMR
import Datasets
import Diffusion
import Foundation
import NN
import Torch

/// `dimr train` as a library call: an output folder with checkpoints, a metrics log and sample grids.
///
/// The folder is locked for the run's lifetime (`OutputLock`); temporary files of killed writers are removed
/// when it opens.
public final class TrainingRun {
    /// The trainer (model, EMA, optimizer, data).
    public let trainer: Trainer
    /// The output folder.
    public let directory: String
    // Only rank 0 of a data-parallel run holds these: it alone writes checkpoints, logs and grids.
    private let lock: OutputLock?
    private let store: CheckpointStore?
    private let metrics: MetricsLog?
    /// Whether the run continued from a checkpoint, and from which.
    public let resumedFrom: String?
    /// The recipe changes this resume made (`allowingRecipeChanges`), one line each; empty otherwise.
    public private(set) var recipeChanges: [String] = []
    /// Image files left out of the data by `imageOptions.skipBadFiles`.
    public let skippedImages: [SkippedFile]
    /// The running mean of the recent losses (`loss_avg`), continued across resumes.
    public private(set) var lossMean = RunningMean()
    /// Whether the last `run` stopped early because of an interrupt (after saving a checkpoint).
    public private(set) var interrupted = false
    /// Temporary files of killed writers removed when the folder was opened.
    public let removedTemporaries: [String]

    /// Metadata key of the running loss average's window (a JSON array of the recent losses).
    public static let lossWindowKey = "loss_window"

    /// Opens `directory`: locks it, resumes from its newest checkpoint when there is one (what changes the
    /// run must then match), else starts a new run with `config`. `imageOptions` says how an image folder is read.
    ///
    /// With `dataParallel`, rank 0 does all of the above and tells the other ranks which checkpoint it resumes from;
    /// they read that file (the output folder must be visible to every rank, e.g. on a shared file system), write
    /// nothing, and every rank then starts from rank 0's state (`Trainer.join`). With `allowingRecipeChanges`, a
    /// resume may change the optimisation recipe (`Trainer.restore(from:allowingRecipeChanges:)`).
    /// - Throws: `PipelineError` when the folder is locked by another run or cannot be written, the data
    ///   cannot be loaded, or the checkpoint belongs to another run (naming each differing field); with
    ///   `dataParallel`, when the batch does not divide among the ranks or a rank cannot follow rank 0.
    public init(directory: String, config: TrainingConfig, keep: Int = 3, device: Device = .cpu,
                command: String = "dimr train", imageOptions: ImageLoadOptions = ImageLoadOptions(),
                dataParallel: DataParallel? = nil, timeout: Duration = .seconds(300), allowingRecipeChanges: Bool = false) throws {
        try config.validate()
        if let dataParallel { _ = try dataParallel.perRankBatch(config.batchSize) }
        self.directory = directory
        let leader = dataParallel?.isLeader ?? true
        if leader {
            try FileErrors.createFolder(directory)
            lock = try OutputLock(folder: directory, command: command)
            let store = try CheckpointStore(directory: directory + "/checkpoints", keep: keep)
            removedTemporaries = [directory, store.directory, directory + "/samples"].flatMap { folder in
                FileErrors.removeStaleTemporaries(in: folder).map { folder + "/" + $0 }
            }
            self.store = store
        } else {
            (lock, store, removedTemporaries) = (nil, nil, [])
        }
        if case .latents(let folder) = config.dataset {
            let batches = try LatentTrainingBatches(folder: folder, batchSize: config.batchSize, seed: config.seed)
            let index = batches.stream.index
            let expected = [2 * config.model.channels, config.imageSize, config.imageSize]
            guard index.momentsShape == expected else {
                throw PipelineError("\(folder) holds moments of shape \(index.momentsShape), latents of \(index.momentsShape[0] / 2)x"
                                    + "\(index.momentsShape[1])x\(index.momentsShape[2]); the model takes \(config.model.channels)x"
                                    + "\(config.imageSize)x\(config.imageSize)")
            }
            guard index.classes.count <= config.nullClass else {
                throw PipelineError("\(folder) has \(index.classes.count) classes but the model has \(config.nullClass) plus the null class")
            }
            skippedImages = []
            trainer = try Trainer(config: config, batches: batches, device: device)
            trainer.dataIdentity = DataIdentity(kind: "latents", images: index.extracted, fingerprint: index.fingerprint, source: folder)
            trainer.classNames = index.classes
        } else {
            let data = try TrainingData(config.dataset, imageSize: config.imageSize, channels: config.model.channels,
                                        options: imageOptions)
            skippedImages = data.skipped
            trainer = try Trainer(config: config, images: data.images, labels: data.labels, device: device)
            trainer.dataIdentity = data.identity
            trainer.classNames = data.classNames
        }
        let latest: String?
        if let store {
            latest = store.latest
            // The file's name: the other ranks find it in their own view of the output folder.
            let name = latest.map { URL(fileURLWithPath: $0).lastPathComponent } ?? ""
            if let dataParallel { try dataParallel.group.store.set(dataParallel.keyPrefix + "resume", string: name) }
        } else if let dataParallel {
            let name = try dataParallel.group.store.getString(dataParallel.keyPrefix + "resume", timeout: timeout)
            guard !name.contains("/") else { throw PipelineError("rank 0 names the checkpoint \(name), not a file name") }
            latest = name.isEmpty ? nil : directory + "/checkpoints/" + name
        } else {
            latest = nil
        }
        if let latest {
            let file: SafeTensorsFile
            do {
                file = try SafeTensorsFile(path: latest)
            } catch {
                if !leader {
                    throw PipelineError("rank \(dataParallel?.rank ?? 0) cannot read \(latest), the checkpoint rank 0 resumes from (\(error)); "
                                        + "every rank must see the output folder (a shared file system)")
                }
                throw PipelineError("cannot resume: the newest checkpoint \(latest) is unreadable (\(error)); move it away to resume from the one before")
            }
            recipeChanges = try trainer.restore(from: file, allowingRecipeChanges: allowingRecipeChanges)
            if let window = file.metadata[Self.lossWindowKey] { lossMean = try RunningMean(decoding: window) }
            resumedFrom = latest
        } else {
            resumedFrom = nil
        }
        metrics = leader ? try MetricsLog(path: directory + "/metrics.jsonl", keepingStepsUpTo: trainer.step) : nil
        if let dataParallel { try trainer.join(dataParallel, timeout: timeout) }
    }

    /// Whether this process writes checkpoints, logs and grids (always, unless it is a rank other than 0).
    public var isLeader: Bool { store != nil }

    /// Saves a checkpoint of the current step, with the running loss average.
    @discardableResult
    public func saveCheckpoint() throws -> String {
        guard let store else { throw PipelineError("only rank 0 writes checkpoints") }
        var (tensors, metadata) = try trainer.checkpoint()
        metadata[Self.lossWindowKey] = try lossMean.encoded()
        return try store.save(step: trainer.step, tensors: tensors, metadata: metadata)
    }

    /// Trains until `options.steps`, checkpointing, logging and sampling as asked; stops early (after
    /// saving, setting `interrupted`) when interrupted. Returns the losses of the steps it ran.
    /// - Throws: `PipelineError` for out-of-range options or a precision the device cannot run fast (before any
    ///   step), and the errors of training and writing.
    @discardableResult
    public func run(_ options: RunOptions, progress: Bool = true) throws -> [Double] {
        try options.validate()
        do {
            try options.precision.checkSupport(on: trainer.device)
        } catch let error as TorchError {
            throw PipelineError("--precision \(options.precision): \(error.message)")
        }
        trainer.precision = options.precision
        trainer.recordPrecisionChange()
        interrupted = false
        var bar = ProgressBar(total: options.steps, startStep: trainer.step)
        var losses: [Double] = []
        var savedStep = trainer.step
        let batch = trainer.config.batchSize
        while trainer.step < options.steps {
            // A stop asked for while no step is unsaved ends here; otherwise the next step sees it too and saves.
            if trainer.dataParallel == nil && trainer.step == savedStep && trainer.stopRequested() {
                interrupted = true
                break
            }
            let started = Date()
            let report: StepReport
            do {
                report = try trainer.trainStep()
            } catch {
                // A failed step (unreadable data, a NaN loss) changes no weights: keep the steps made since the
                // last checkpoint before reporting it.
                guard trainer.step > savedStep, (try? trainer.weightsAreFinite()) == true, (try? saveCheckpoint()) != nil else {
                    throw error
                }
                if progress && isLeader { bar.finish() }
                FileHandle.standardError.write(Data("stopped by an error at step \(trainer.step + 1): checkpoint of step \(trainer.step) saved\n".utf8))
                throw error
            }
            losses.append(report.loss)
            lossMean.add(report.loss)
            let stop = report.stopRequested
            let logged = report.step % options.logEvery == 0 || report.step == options.steps
            if logged, let metrics {
                let seconds = max(Date().timeIntervalSince(started), 1e-9)
                var record: [String: Double] = ["step": Double(report.step), "loss": report.loss, "loss_avg": lossMean.mean,
                                                "lr": report.learningRate, "images_per_s": Double(batch) / seconds]
                if let n = report.gradNorm, n.isFinite { record["grad_norm"] = n }
                if let dataParallel = trainer.dataParallel { record["allreduce_s"] = dataParallel.lastAllReduceSeconds }
                try metrics.write(record)
            }
            if progress && isLeader {
                bar.update(step: report.step, items: losses.count * batch,
                           fields: [("loss", String(format: "%.4f", lossMean.mean)), ("lr", String(format: "%.2e", report.learningRate))],
                           force: logged)
            }
            let last = report.step == options.steps
            let periodic = options.checkpointEvery > 0 && report.step % options.checkpointEvery == 0
            if (periodic || last || stop) && isLeader {
                try saveCheckpoint()
                savedStep = report.step
            }
            if options.sampleEvery > 0 && (report.step % options.sampleEvery == 0 || last) && !stop && isLeader {
                do {
                    try writeSampleGrid(options)
                } catch {
                    // Keep the steps trained since the last checkpoint before reporting the failure.
                    if savedStep < report.step { try saveCheckpoint() }
                    throw error
                }
            }
            if stop {
                if progress && isLeader { bar.finish() }
                interrupted = true
                if isLeader { FileHandle.standardError.write(Data("interrupted: checkpoint of step \(report.step) saved; run the same command to resume\n".utf8)) }
                return losses
            }
        }
        if progress && isLeader { bar.finish() }
        return losses
    }

    /// Decodes latents to RGB for the sample grids of a latent run (nil: grids show the model's own outputs).
    public var autoencoder: AutoencoderKL?

    /// Writes a grid of guided samples from the EMA model: one row per class (the first 10 classes of
    /// a model with more), decoded by `autoencoder` when one is set.
    public func writeSampleGrid(_ options: RunOptions) throws {
        let model = try trainer.emaModel()
        let classes = trainer.config.nullClass
        let perClass = 8
        let sampler = try AuthorsDPMSolver(schedule: NoiseSchedule.stableDiffusion(), steps: options.sampleSteps)
        var grid = ClassGridSampler(model: model, nullClass: classes,
                                    imageShape: [trainer.config.model.channels, trainer.config.imageSize, trainer.config.imageSize])
        grid.device = trainer.device
        grid.precision = options.precision
        var images = try withNoGrad {
            try grid.sample(classes: Array(0..<min(classes, 10)), perClass: perClass, sampler: sampler, guidance: options.guidance,
                            guidanceInterval: options.guidanceInterval, seed: 0)
        }
        if let autoencoder {
            let decoded = try withNoGrad { try autoencoder.decode(images.images).clamp(min: -1, max: 1) }
            images = (decoded, images.labels)
        }
        try FileErrors.createFolder(directory + "/samples")
        let path = directory + String(format: "/samples/step-%08d.png", trainer.step)
        do {
            let grid = try ImageGrid.tile(images.images, columns: perClass)
            let labels = (0..<min(classes, 10)).map { ClassSelection.rowLabel($0, names: trainer.classNames) }
            try PNG.write(RowLabels.add(to: grid, labels: labels, tileHeight: images.images.size(2), padding: 2), to: path)
        } catch {
            throw PipelineError("cannot write sample grid \(path): \(FileErrors.reason(error))")
        }
    }
}
