import ArgumentParser
import Datasets
import DiMR
import Diffusion
import Foundation
import Pipeline
import Torch

/// `dimr train`: trains a DiMR model, resuming from the output folder's newest checkpoint.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a DiMR model (resumes from the newest checkpoint in --output).",
        discussion: """
        Writes OUTPUT/checkpoints/step-N.safetensors (model, EMA, optimizer, data order, RNG), \
        OUTPUT/metrics.jsonl and, with --sample-every, OUTPUT/samples/step-N.png. Run the same \
        command again to continue an interrupted run (Ctrl-C saves a checkpoint before stopping).
        """)

    @Option(help: "Model preset (see `dimr info --presets`).") var preset: String = "fmnist-2r"
    @Option(help: "Model configuration JSON file in the authors' field names (overrides --preset).") var config: String?
    @Option(help: "Loss weight per stage, low resolution first, comma-separated (default: the preset's).") var lossCoeffs: String?
    @Option(help: "Training data: fashion-mnist, or a folder with one subfolder of PNG/JPEG images per class.") var dataset: String = "fashion-mnist"
    @Option(help: "Folder of the Fashion-MNIST IDX files (default: Debian's).") var dataDir: String?
    @Option(help: "Image side for --dataset FOLDER (default: the preset's).") var imageSize: Int?
    @Flag(help: "Leave out image files that cannot be decoded or have the wrong size (counted and listed) instead of stopping.")
    var skipBadImages = false
    @Option(help: "Refuse images of more pixels than this, from their header (the default is PIL's MAX_IMAGE_PIXELS).")
    var maxImagePixels: Int = ImageDecoder.defaultMaxPixels
    @Option(help: "Output folder.") var output: String = "runs/train"
    @Option(help: "Train until this many steps in total.") var steps: Int = 1000
    @Option(help: "Images per step.") var batchSize: Int = 64
    @Option(help: "Peak learning rate.") var lr: Double = 2e-4
    @Option(help: "Linear warm-up steps.") var warmup: Int = 5000
    @Option(help: "AdamW weight decay (not on nodecay_* parameters).") var weightDecay: Double = 0.03
    @Option(help: "EMA decay rate.") var emaRate: Double = 0.9999
    @Flag(help: "EMA decay min(rate, (1+n)/(10+n)), for short runs.") var emaWarmup = false
    @Option(help: "Clip the gradient norm to this value.") var gradClip: Double?
    @Option(help: "Probability of dropping a label to the null class.") var labelDrop: Double = 0.1
    @Flag(help: "Random horizontal flips.") var flip = false
    @Option(help: "Seed of data order, initialisation and noise.") var seed: UInt64 = 0
    @Option(help: "Checkpoint every N steps.") var checkpointEvery: Int = 500
    @Option(help: "Checkpoints kept.") var keep: Int = 3
    @Option(help: "Write a sample grid every N steps (0 = never).") var sampleEvery: Int = 0
    @Option(help: "Sampler steps of the grids.") var sampleSteps: Int = 25
    @Option(help: "Guidance scale s of the grids (rule cond + s (cond - uncond)).") var guidanceScale: Double = 1.0
    @Option(help: ArgumentHelp("Guide the grids only at times t with LOW < t <= HIGH (0...1000, 1000 = pure noise), as `dimr sample --guidance-interval`.",
                               valueName: "low,high"),
            transform: { try GuidanceInterval(parsing: $0, schedule: NoiseSchedule.stableDiffusion()) })
    var guidanceInterval: GuidanceInterval?
    @Option(help: "Metrics record every N steps.") var logEvery: Int = 10
    @Option(help: "Intra-op threads (default: libtorch's).") var threads: Int?
    @Option(help: "Device: cpu or cuda[:N].") var device: String = "cpu"

    func run() throws {
        guard maxImagePixels > 0 else { throw ValidationError("--max-image-pixels must be positive, got \(maxImagePixels)") }
        if let threads { Torch.numThreads = threads }
        guard let device = Device(parsing: device) else { throw ValidationError("unknown device \(self.device)") }
        let trainingConfig = try makeConfig()
        Interrupt.install()
        let run = try TrainingRun(directory: output, config: trainingConfig, keep: keep, device: device,
                                  imageOptions: ImageLoadOptions(maxPixels: maxImagePixels, skipBadFiles: skipBadImages))
        let model = run.trainer.model
        print("model: \(model.parameterCount) parameters, \(trainingConfig.model.stageConfigs.count) stages; data: \(trainingConfig.dataset.description), \(run.trainer.loader.count) images")
        if !run.skippedImages.isEmpty {
            print("skipped \(run.skippedImages.count) bad image files (--skip-bad-images):")
            for file in run.skippedImages.prefix(5) { print("  \(file.reason)") }
            if run.skippedImages.count > 5 { print("  ... and \(run.skippedImages.count - 5) more") }
        }
        if let from = run.resumedFrom { print("resuming from \(from) at step \(run.trainer.step)") }
        guard run.trainer.step < steps else {
            print("already at step \(run.trainer.step) >= --steps \(steps); nothing to do")
            return
        }
        var options = RunOptions(steps: steps)
        options.checkpointEvery = checkpointEvery
        options.sampleEvery = sampleEvery
        options.sampleSteps = sampleSteps
        options.logEvery = logEvery
        options.guidance = guidanceScale == 0 ? .none : .constant(scale: guidanceScale)
        options.guidanceInterval = guidanceInterval
        let started = Date()
        let losses = try run.run(options)
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "done: step %d, last loss %.4f, %.1f s, %.1f images/s; checkpoints in %@/checkpoints",
                     run.trainer.step, losses.last ?? .nan, seconds, Double(losses.count * batchSize) / max(seconds, 1e-9), output))
    }

    private func makeConfig() throws -> TrainingConfig {
        var model: DiMRConfig
        var coefficients: [Double]
        var size: Int
        if let path = config {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("cannot read --config \(path): \(error.localizedDescription)")
            }
            model = try DiMRConfig.fromJSON(text)
            coefficients = MultiScaleLoss.defaultCoefficients(levels: model.stageConfigs.count)
            size = imageSize ?? 32
        } else {
            let p = try DiMRConfig.preset(named: preset)
            (model, coefficients, size) = (p.config, p.lossCoefficients, p.imageSize)
        }
        if let text = lossCoeffs {
            let values = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == model.stageConfigs.count else {
                throw ValidationError("--loss-coeffs needs \(model.stageConfigs.count) numbers, got \"\(text)\"")
            }
            coefficients = values
        }
        if let s = imageSize { size = s }
        let spec: DatasetSpec = dataset == "fashion-mnist" ? .fashionMNIST(directory: dataDir) : .imageFolder(path: dataset)
        var c = TrainingConfig(model: model, lossCoefficients: coefficients, imageSize: size, dataset: spec)
        c.batchSize = batchSize
        c.learningRate = lr
        c.warmupSteps = warmup
        c.weightDecay = weightDecay
        c.emaRate = emaRate
        c.emaWarmup = emaWarmup
        c.gradClip = gradClip
        c.labelDropProbability = labelDrop
        c.randomFlip = flip
        c.seed = seed
        try c.validate()
        return c
    }
}
