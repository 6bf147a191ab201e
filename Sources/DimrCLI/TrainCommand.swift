import ArgumentParser
import Datasets
import DiMR
import Diffusion
import Foundation
import Pipeline
import Torch

extension TrainingRecipe: ExpressibleByArgument {}

/// `dimr train`: trains a DiMR model, resuming from the output folder's newest checkpoint.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a DiMR model (resumes from the newest checkpoint in --output).",
        discussion: """
        Writes OUTPUT/checkpoints/step-N.safetensors (model, EMA, optimizer, data order, RNG, running loss \
        average), OUTPUT/metrics.jsonl and, with --sample-every, OUTPUT/samples/step-N.png. Run the same \
        command again to continue an interrupted run: Ctrl-C saves a checkpoint and exits with status 130 (SIGTERM: 143). \
        The data may be given by another path on resume (it is recognised by its file list and sizes, or for \
        Fashion-MNIST by its contents); a changed option that changes the run is refused, naming it. \
        One run at a time may use an output folder (OUTPUT/.dimr.lock).

        Data parallelism (Gloo on the CPU; NCCL with --device cuda, one GPU per process, cuda:LOCAL_RANK, in a dimr \
        built by scripts/build-cuda.sh): --nproc N starts N processes on this machine; under torchrun or a Slurm \
        wrapper each process reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT (GLOO_SOCKET_IFNAME \
        picks Gloo's network interface). --batch-size is the global batch, split evenly among the processes; the \
        results match one process at the same batch. Rank 0 writes checkpoints, logs and grids; every rank must \
        see the output folder to resume.

        Recipes (--recipe) set --lr, --warmup, --ema-rate, --ema-warmup and --grad-clip, each of which may \
        still be given: `authors` is the paper's ImageNet recipe (\(TrainingRecipe.authors.summary)), meant \
        for runs of hundreds of thousands of steps; `small` (\(TrainingRecipe.small.summary)) is for runs of \
        a few thousand steps, such as Fashion-MNIST. The default is `small` for the fmnist-* and bench presets \
        and `authors` for the DiMR-* presets and --config.
        """)

    @Option(help: "Model preset (see `dimr info --presets`).") var preset: String = "fmnist-2r"
    @Option(help: "Model configuration JSON file in the authors' field names (overrides --preset).") var config: String?
    @Option(help: "Optimisation recipe: authors or small (default: by preset, see above).") var recipe: TrainingRecipe?
    @Option(help: "Loss weight per stage, low resolution first, comma-separated, each >= 0 (default: the preset's).") var lossCoeffs: String?
    @Option(help: "Training data: fashion-mnist, or a folder with one subfolder of PNG/JPEG images per class.") var dataset: String = "fashion-mnist"
    @Option(help: "Folder of the Fashion-MNIST IDX files (default: Debian's).") var dataDir: String?
    @Option(help: "Train on the latent folder written by `dimr extract-latents` instead of --dataset (streamed shard by shard; a fresh posterior sample each step).")
    var latents: String?
    @Option(help: "Autoencoder weights (e.g. the authors' autoencoder_kl_ema.pth) to decode the sample grids of a --latents run; without it a latent run writes no grids.")
    var autoencoder: String?
    @Option(parsing: .unconditional, help: "Image side for --dataset FOLDER (default: the preset's).") var imageSize: Int?
    @Flag(help: "Leave out image files that cannot be decoded or have the wrong size (counted and listed) instead of stopping.")
    var skipBadImages = false
    @Option(parsing: .unconditional, help: "Refuse images of more pixels than this, from their header (the default is PIL's MAX_IMAGE_PIXELS).")
    var maxImagePixels: Int = ImageDecoder.defaultMaxPixels
    @Option(help: "Output folder.") var output: String = "runs/train"
    @Option(parsing: .unconditional, help: "Train until the run has made this many steps in all (one step = one batch), counting the steps of the checkpoint it resumes; 0 only loads the data.")
    var steps: Int = 1000
    @Option(parsing: .unconditional, help: "Images per step.") var batchSize: Int = 64
    @Option(parsing: .unconditional, help: "Peak learning rate (default: the recipe's).") var lr: Double?
    @Option(parsing: .unconditional, help: "Linear warm-up steps, 0 = none (default: the recipe's).") var warmup: Int?
    @Option(parsing: .unconditional, help: "AdamW weight decay, >= 0 (not on nodecay_* parameters).") var weightDecay: Double = 0.03
    @Option(parsing: .unconditional, help: "EMA decay rate in [0, 1] (default: the recipe's).") var emaRate: Double?
    @Flag(inversion: .prefixedNo, help: "EMA decay min(rate, (1+n)/(10+n)), for short runs (default: the recipe's).") var emaWarmup: Bool?
    @Option(parsing: .unconditional, help: "Clip the gradient norm to this value; 0 = no clipping (default: the recipe's).") var gradClip: Double?
    @Flag(help: "On resume, let --lr, --warmup, --weight-decay, --ema-rate, --ema-warmup and --grad-clip differ from the checkpoint's (e.g. a lower learning rate for the last steps): printed, and recorded in the checkpoints.")
    var changeRecipe = false
    @Option(parsing: .unconditional, help: "Probability of dropping a label to the null class, in [0, 1].") var labelDrop: Double = 0.1
    @Flag(help: "Random horizontal flips.") var flip = false
    @Option(parsing: .unconditional, help: "Seed of data order, initialisation and noise.") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Checkpoint every N steps; 0 = only at the end and on Ctrl-C.") var checkpointEvery: Int = 500
    @Option(parsing: .unconditional, help: "Checkpoints kept, at least 1.") var keep: Int = 3
    @Option(parsing: .unconditional, help: "Write a sample grid every N steps; 0 = never.") var sampleEvery: Int = 0
    @Option(parsing: .unconditional, help: "Sampler steps of the grids, 1...1000.") var sampleSteps: Int = 25
    @Option(parsing: .unconditional, help: "Guidance scale s of the grids (rule cond + s (cond - uncond); 0 = no guidance).") var guidanceScale: Double = 1.0
    @Option(help: ArgumentHelp("Guide the grids only at times t with LOW < t <= HIGH (0...1000, 1000 = pure noise), as `dimr sample --guidance-interval`.",
                               valueName: "low,high"),
            transform: { try GuidanceInterval(parsing: $0, schedule: NoiseSchedule.stableDiffusion()) })
    var guidanceInterval: GuidanceInterval?
    @Option(parsing: .unconditional, help: "Metrics record (and a progress line when not on a terminal) every N steps, at least 1.") var logEvery: Int = 10
    @Option(parsing: .unconditional, help: "Intra-op threads, 1...\(OptionChecks.maxThreads) (default: libtorch's).") var threads: Int?
    @Option(help: "Device: cpu or cuda[:N].") var device: String = "cpu"
    @Option(help: OptionChecks.precisionHelp) var precision: Precision = .float32
    @Option(parsing: .unconditional, help: "Data-parallel processes to start on this machine, 1...\(Train.maxProcesses) (the global --batch-size is split among them).")
    var nproc: Int = 1
    @Option(parsing: .unconditional, help: "Seconds a data-parallel rank waits for the others (rendezvous, each step's allreduce) before stopping with an error.")
    var distTimeout: Int = 300
    @Option(parsing: .unconditional, help: "Megabytes per gradient bucket of a data-parallel run (each bucket is averaged across the processes as soon as backward has filled it).")
    var bucketMb: Double = 25

    static let maxProcesses = 256

    func validate() throws {
        try OptionChecks.threads(threads)
        _ = try OptionChecks.device(device)
        try OptionChecks.precision(precision, device: device)
        if let imageSize { try OptionChecks.integer("--image-size", imageSize, in: 1...DiMRConfig.maxImageSize) }
        try OptionChecks.integer("--steps", steps, in: 0...Int.max)
        try OptionChecks.integer("--batch-size", batchSize, in: 1...(1 << 20))
        if let lr { try OptionChecks.real("--lr", lr, in: 0...Double.greatestFiniteMagnitude) }
        if let warmup { try OptionChecks.integer("--warmup", warmup, in: 0...Int.max) }
        try OptionChecks.real("--weight-decay", weightDecay, in: 0...Double.greatestFiniteMagnitude)
        if let emaRate { try OptionChecks.real("--ema-rate", emaRate, in: 0...1) }
        if let gradClip { try OptionChecks.real("--grad-clip", gradClip, in: 0...Double.greatestFiniteMagnitude, meaning: "0 = no clipping") }
        try OptionChecks.real("--label-drop", labelDrop, in: 0...1)
        try OptionChecks.integer("--checkpoint-every", checkpointEvery, in: 0...Int.max, meaning: "0 = only at the end")
        try OptionChecks.integer("--keep", keep, in: 1...Int.max)
        try OptionChecks.integer("--sample-every", sampleEvery, in: 0...Int.max, meaning: "0 = never")
        try OptionChecks.integer("--sample-steps", sampleSteps, in: 1...1000)
        try OptionChecks.real("--guidance-scale", guidanceScale)
        try OptionChecks.integer("--log-every", logEvery, in: 1...Int.max)
        try OptionChecks.integer("--max-image-pixels", maxImagePixels, in: 1...Int.max)
        try OptionChecks.integer("--nproc", nproc, in: 1...Self.maxProcesses)
        try OptionChecks.integer("--dist-timeout", distTimeout, in: 1...86_400)
        try OptionChecks.real("--bucket-mb", bucketMb, in: 0.001...1024)
        if nproc > 1 {
            guard batchSize % nproc == 0 else {
                throw ValidationError("--batch-size \(batchSize) (the global batch) does not divide among --nproc \(nproc) processes; give a multiple of \(nproc)")
            }
            guard device == "cpu" || device == "cuda" else {
                throw ValidationError("--nproc gives rank k the GPU cuda:k (NCCL); give --device cuda (or cpu), not --device \(device)")
            }
            guard ProcessInfo.processInfo.environment["WORLD_SIZE"] == nil else {
                throw ValidationError("--nproc starts its own processes; it cannot be used under a launcher that sets WORLD_SIZE")
            }
        }
        if let lossCoeffs { _ = try Self.parseCoefficients(lossCoeffs) }
        if let latents {
            guard dataset == "fashion-mnist" else { throw ValidationError("give either --latents or --dataset, not both") }
            guard FileManager.default.fileExists(atPath: latents + "/index.json") else {
                throw ValidationError("--latents \(latents) is not a latent folder (no index.json; make one with dimr extract-latents)")
            }
            if sampleEvery > 0 && autoencoder == nil {
                throw ValidationError("--sample-every with --latents needs --autoencoder to decode the grids (or --sample-every 0)")
            }
        }
        if let autoencoder, !FileManager.default.fileExists(atPath: autoencoder) { throw ValidationError("--autoencoder: no file \(autoencoder)") }
        try runOptions().validate()
    }

    func run() throws {
        try OptionChecks.plainErrors {
            if nproc > 1 { return try launch() }
            do {
                try train()
            } catch let error as PipelineError {
                // Under a launcher every rank reports: say which one speaks.
                guard let rank = ProcessInfo.processInfo.environment["RANK"], !error.message.hasPrefix("rank ") else { throw error }
                throw PipelineError("rank \(rank): \(error.message)")
            }
        }
    }

    /// `--nproc N`: starts the ranks and waits for them.
    private func launch() throws {
        _ = try makeConfig()  // bad options are reported once, by the launcher
        if device != "cpu" {  // rank k takes cuda:k: check NCCL and the GPUs before starting any rank
            guard ProcessGroup.ncclVersion != nil else {
                throw ValidationError("--nproc with --device cuda needs NCCL: this dimr was built without CUDA/NCCL; build with scripts/build-cuda.sh")
            }
            guard Torch.cudaDeviceCount >= nproc else {
                throw ValidationError("--nproc \(nproc) --device cuda gives rank k the GPU cuda:k (cuda:0...cuda:\(nproc - 1)), "
                                      + "but this machine shows \(Torch.cudaDeviceCount) CUDA device\(Torch.cudaDeviceCount == 1 ? "" : "s")")
            }
        }
        Interrupt.install()
        var arguments = WorkerLauncher.workerArguments(Array(CommandLine.arguments.dropFirst()))
        // One intra-op thread pool per process: split the cores unless --threads says otherwise.
        if threads == nil { arguments += ["--threads", String(max(1, ProcessInfo.processInfo.activeProcessorCount / nproc))] }
        let status = try WorkerLauncher(count: nproc, arguments: arguments, timeout: .seconds(distTimeout)).run()
        if status != 0 { throw ExitCode(status) }
    }

    /// Trains in this process: alone, or as one rank of a job described by the environment.
    private func train() throws {
        OptionChecks.applyThreads(threads)
        var device = try OptionChecks.device(device)
        let (trainingConfig, recipe) = try makeConfig()
        let options = runOptions()
        Interrupt.install()
        let timeout = Duration.seconds(distTimeout)
        var dataParallel: DataParallel?
        if let environment = try DistributedEnvironment.read() {
            guard trainingConfig.batchSize % environment.worldSize == 0 else {
                throw ValidationError("--batch-size \(batchSize) (the global batch) does not divide among WORLD_SIZE \(environment.worldSize) processes")
            }
            // CPU: Gloo; CUDA: NCCL on the GPU of this process's LOCAL_RANK.
            device = try environment.device(for: device, indexGiven: self.device.hasPrefix("cuda:"))
            let rank = DataParallel(group: try environment.join(timeout: timeout, device: device), keyPrefix: environment.keyPrefix)
            rank.bucketBytes = max(1, Int(bucketMb * 1_048_576))
            dataParallel = rank
        }
        let leader = dataParallel?.isLeader ?? true
        func say(_ text: String) { if leader { Console.line(text) } }
        let run: TrainingRun
        let outputExisted = FileManager.default.fileExists(atPath: output)
        // A refused run leaves no trace: an output folder it created holds only its lock.
        defer { if !outputExisted && leader { OutputLock.removeIfUnused(output) } }
        do {
            run = try TrainingRun(directory: output, config: trainingConfig, keep: keep, device: device,
                                  command: CommandLine.arguments.joined(separator: " "),
                                  imageOptions: ImageLoadOptions(maxPixels: maxImagePixels, skipBadFiles: skipBadImages),
                                  dataParallel: dataParallel, timeout: timeout, allowingRecipeChanges: changeRecipe)
        } catch where ImageDecoder.isTooLarge(error) {
            throw CommandError("\(FileErrors.reason(error)) (--max-image-pixels raises the limit)")
        }
        for path in run.removedTemporaries { say("removed \(path), a temporary file left by a killed writer") }
        if let autoencoder { run.autoencoder = try AutoencoderFile.load(autoencoder) }
        if !run.skippedImages.isEmpty {
            say("skipped \(run.skippedImages.count) bad image files (--skip-bad-images):")
            for file in run.skippedImages.prefix(5) { say("  \(file.reason)") }
            if run.skippedImages.count > 5 { say("  ... and \(run.skippedImages.count - 5) more") }
        }
        let model = run.trainer.model
        say("model: \(trainingConfig.model.architecture), \(model.parameterCount) parameters; "
              + "data: \(trainingConfig.dataset.description), \(run.trainer.loader.count) images")
        let stepFLOPs = 3 * trainingConfig.model.flopsPerForward(imageSize: trainingConfig.imageSize) * Double(trainingConfig.batchSize)
        say("training compute: \(String(format: "%.1f", stepFLOPs / 1e9)) GFLOP per step (3 x forward x batch), "
              + "\(String(format: "%.3f", stepFLOPs * Double(steps) / 1e15)) PFLOP for \(steps) steps")
        say("recipe: \(recipe.rawValue) defaults; lr \(trainingConfig.learningRate), warm-up \(trainingConfig.warmupSteps) steps, "
              + "EMA \(trainingConfig.emaRate)\(trainingConfig.emaWarmup ? " with warm-up" : ""), "
              + "gradient clip \(trainingConfig.gradClip.map { "\($0)" } ?? "off"), batch \(trainingConfig.batchSize), "
              + "\(precision) precision")
        if let from = run.resumedFrom { say("resuming from \(from) at step \(run.trainer.step)") }
        guard run.trainer.step < steps else {
            say("already at step \(run.trainer.step) of --steps \(steps); nothing to do")
            return
        }
        for change in run.recipeChanges { say("recipe changed at step \(run.trainer.step) (--change-recipe): \(change)") }
        if let change = run.trainer.precisionChange(to: precision) { say("precision changed at step \(run.trainer.step): \(change)") }
        let firstStep = run.trainer.step
        let started = Date()
        if let dataParallel {
            let group = dataParallel.group
            say("data parallel: \(dataParallel.worldSize) processes x \(trainingConfig.batchSize / dataParallel.worldSize) images "
                + "(\(group.backend.rawValue)\(group.device == .cpu ? "" : ", rank 0 on \(group.device)"))")
        }
        let losses = try run.run(options, progress: leader)
        let seconds = Date().timeIntervalSince(started)
        // The loss as the progress bar showed it (the running mean, continued across resumes), and the last step's.
        let mean = run.lossMean
        let lastStep = losses.last.map { String(format: "; last step %.4f", $0) } ?? ""
        say(String(format: "%@: step %ld of --steps %ld (%ld this run), loss %.4f (mean of the last %ld steps%@), "
                     + "%.1f s, %.1f images/s; checkpoints in %@/checkpoints",
                     run.interrupted ? "interrupted" : "done", run.trainer.step, steps, run.trainer.step - firstStep,
                     mean.mean, mean.values.count, lastStep, seconds, Double(losses.count * batchSize) / max(seconds, 1e-9), output))
        if run.interrupted { throw ExitCode(Interrupt.exitStatus) }
    }

    /// The options that do not change the run's results.
    private func runOptions() -> RunOptions {
        var options = RunOptions(steps: steps)
        options.checkpointEvery = checkpointEvery
        options.sampleEvery = sampleEvery
        options.sampleSteps = sampleSteps
        options.logEvery = logEvery
        options.guidance = guidanceScale == 0 ? .none : .constant(scale: guidanceScale)
        options.guidanceInterval = guidanceInterval
        options.precision = precision
        return options
    }

    /// `--loss-coeffs` as numbers, each finite and >= 0.
    static func parseCoefficients(_ text: String) throws -> [Double] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let value = Double(trimmed) else { throw ValidationError("--loss-coeffs: \"\(trimmed)\" is not a number (in \"\(text)\")") }
            try OptionChecks.real("--loss-coeffs", value, in: 0...Double.greatestFiniteMagnitude)
            return value
        }
    }

    private func makeConfig() throws -> (TrainingConfig, TrainingRecipe) {
        var model: NetworkConfig
        var coefficients: [Double]
        var size: Int
        let chosen: TrainingRecipe
        if let path = config {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("cannot read --config \(path): \(FileErrors.reason(error))")
            }
            model = try NetworkConfig.fromJSON(text)
            coefficients = MultiScaleLoss.defaultCoefficients(levels: model.outputCount)
            size = imageSize ?? model.naturalImageSize
            chosen = recipe ?? TrainingRecipe.defaultRecipe(forPreset: nil)
        } else {
            let p = try NetworkPreset.named(preset)
            (model, coefficients, size) = (p.config, p.lossCoefficients, p.imageSize)
            chosen = recipe ?? TrainingRecipe.defaultRecipe(forPreset: p.name)
        }
        if let text = lossCoeffs {
            let values = try Self.parseCoefficients(text)
            guard values.count == model.outputCount else {
                throw ValidationError("--loss-coeffs needs \(model.outputCount) numbers (one per output resolution), got \"\(text)\"")
            }
            coefficients = values
        }
        if let s = imageSize { size = s }
        do { try model.validate(imageSize: size) } catch {
            throw ValidationError("--image-size \(size) does not fit the model: \(error)")
        }
        let spec: DatasetSpec
        if let latents {
            let index = try LatentIndex.read(folder: latents)
            guard index.momentsShape == [2 * model.channels, size, size] else {
                throw ValidationError("--latents \(latents) holds \(index.momentsShape[0] / 2)x\(index.momentsShape[1])x\(index.momentsShape[2]) latents;"
                                      + " the model takes \(model.channels)x\(size)x\(size) (--preset, --config, --image-size)")
            }
            spec = .latents(path: latents)
        } else if dataset == "fashion-mnist" {
            guard model.channels == 1, size == 32 else {
                throw ValidationError("Fashion-MNIST images are 1x32x32; the model takes \(model.channels)x\(size)x\(size) (--preset, --config, --image-size)")
            }
            spec = .fashionMNIST(directory: dataDir)
        } else {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataset, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--dataset \(dataset) is neither fashion-mnist nor a folder")
            }
            spec = .imageFolder(path: dataset)
        }
        var c = TrainingConfig(model: model, lossCoefficients: coefficients, imageSize: size, dataset: spec)
        chosen.apply(to: &c)
        c.batchSize = batchSize
        if let lr { c.learningRate = lr }
        if let warmup { c.warmupSteps = warmup }
        c.weightDecay = weightDecay
        if let emaRate { c.emaRate = emaRate }
        if let emaWarmup { c.emaWarmup = emaWarmup }
        if let gradClip { c.gradClip = gradClip > 0 ? gradClip : nil }
        c.labelDropProbability = labelDrop
        c.randomFlip = flip
        c.seed = seed
        try c.validate()
        return (c, chosen)
    }
}
