import ArgumentParser
import Datasets
import DiMR
import Diffusion
import Foundation
import Pipeline
import Torch

/// `dimr sample`: class-conditional images from a trained model with classifier-free guidance.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate class-conditional images from a checkpoint or exported weights.",
        discussion: """
        Writes OUTPUT/images/NNNNN-class-K.png as each batch finishes, OUTPUT/samples.npz (uint8 NHWC images \
        with 3 channels, gray repeated, as arr_0 and int64 labels as arr_1: the ADM evaluation-suite layout; \
        written when all images are made) and OUTPUT/grid.png (the first --grid-per-class images of each \
        class, one row per class, labelled with the class name, or its index when the model has no names). Memory does not grow with --per-class.
        An OUTPUT holding these files from an earlier run is refused unless --overwrite, which deletes them \
        (and only them) first. Ctrl-C stops after the current batch, keeps the images made and the grid, \
        and exits with status 130 (143 for SIGTERM).
        --classes takes indices or names (Fashion-MNIST's, or the class folders of an image-folder run).
        Latent models (e.g. the authors' DiMR-XL_2R_800epochs.pth with --preset DiMR-XL/2R) are decoded \
        to RGB by --autoencoder (the authors' autoencoder_kl_ema.pth); without it their raw latents go to \
        OUTPUT/latents/batch-NNNNN.safetensors.
        Guidance rules: `constant` is cond + s (cond - uncond), i.e. standard scale 1 + s; `decayed` is \
        uncond + s(t) (cond - uncond) with s(t) rising from 1 at t = 1000 to --scale at t = 0 (--power).
        """)

    enum Rule: String, ExpressibleByArgument, CaseIterable {
        case constant, decayed, none
    }

    @Argument(help: "A training checkpoint, exported weights (.safetensors) or a PyTorch state dict (.pth, with --preset or --config).")
    var checkpoint: String
    @Option(help: "Model preset for weights without a configuration, e.g. DiMR-XL/2R (see `dimr info --presets`).") var preset: String?
    @Option(help: "Model configuration JSON (the authors' field names) for weights without one.") var config: String?
    @Option(help: "Autoencoder weights to decode a latent model's samples to RGB (the authors' autoencoder_kl_ema.pth).")
    var autoencoder: String?
    @Option(parsing: .unconditional, help: "Classes, comma-separated indices or names (default: all).") var classes: String?
    @Option(parsing: .unconditional, help: "Images per class, at least 1.") var perClass: Int = 8
    @Option(help: "Sampler: dpm-solver (the authors'), dpm-solver++ (2M), ddim, unipc-2 or unipc-3 (UniPC-bh2 of that order), or dpm-solver++-3m-sde (stochastic; its noise is seeded per image by --seed).")
    var sampler: SamplerName = .dpmSolver
    @Option(parsing: .unconditional, help: "Solver steps (denoiser calls), 1...1000.") var steps: Int = 25
    @Option(help: "Guidance rule: constant, decayed or none.") var guidance: Rule = .constant
    @Option(parsing: .unconditional, help: "Guidance scale: s of the constant rule, the final scale (>= 1) of the decayed rule.") var scale: Double = 1.0
    @Option(parsing: .unconditional, help: "Power of the decayed rule, > 0.") var power: Double = 1.0
    @Option(help: ArgumentHelp("Guide only at times t with LOW < t <= HIGH, on the authors' time scale 0...1000 (1000 = pure noise; the start-up summary also gives it as sigma = sqrt((1 - abar) / abar)). Elsewhere the unconditional pass is not run. Default: guide at every step.",
                               valueName: "low,high"),
            transform: { try GuidanceInterval(parsing: $0, schedule: NoiseSchedule.stableDiffusion()) })
    var guidanceInterval: GuidanceInterval?
    @Option(parsing: .unconditional, help: "Seed; image k's noise depends only on (seed, k).") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Images per network batch, at least 1.") var batchSize: Int = 64
    @Option(parsing: .unconditional, help: "Images of each class shown in grid.png, at least 1.") var gridPerClass: Int = 16
    @Option(help: "Output folder.") var output: String = "samples"
    @Flag(help: "Replace the outputs of an earlier run in --output.") var overwrite = false
    @Flag(help: "Use the raw weights instead of the EMA ones (training checkpoints only).") var noEma = false
    @Flag(help: "Skip writing single images.") var gridOnly = false
    @Option(parsing: .unconditional, help: "Intra-op threads, 1...\(OptionChecks.maxThreads) (default: libtorch's).") var threads: Int?
    @Option(help: "Device: cpu or cuda[:N].") var device: String = "cpu"
    @Option(help: OptionChecks.precisionHelp) var precision: Precision = .float32

    func validate() throws {
        try OptionChecks.threads(threads)
        _ = try OptionChecks.device(device)
        try OptionChecks.precision(precision, device: device)
        try OptionChecks.integer("--per-class", perClass, in: 1...Int.max)
        try OptionChecks.integer("--steps", steps, in: 1...1000)
        try OptionChecks.integer("--batch-size", batchSize, in: 1...(1 << 20))
        try OptionChecks.integer("--grid-per-class", gridPerClass, in: 1...1024)
        try OptionChecks.real("--scale", scale, in: OptionChecks.float32Range, meaning: "the guidance runs in float32")
        try OptionChecks.real("--power", power, in: Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude)
        do { try rule().validate() } catch { throw ValidationError("--scale / --power: \(error)") }
        if let classes, classes.split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("no classes given in --classes")
        }
        guard preset == nil || config == nil else { throw ValidationError("give --preset or --config, not both") }
        if let preset { _ = try NetworkPreset.named(preset) }
        if let config, !FileManager.default.fileExists(atPath: config) { throw ValidationError("--config: no file \(config)") }
        if let autoencoder, !FileManager.default.fileExists(atPath: autoencoder) { throw ValidationError("--autoencoder: no file \(autoencoder)") }
    }

    func run() throws {
        try OptionChecks.plainErrors {
            OptionChecks.applyThreads(threads)
            let device = try OptionChecks.device(device)
            Interrupt.install()
            let started = Date()
            let (configuration, presetSize) = try OptionChecks.givenConfiguration(preset: preset, config: config)
            let file = try ModelFile(path: checkpoint, useEMA: !noEma, device: device, configuration: configuration, imageSize: presetSize)
            let decoder = try autoencoder.map { try AutoencoderFile.load($0) }
            if let decoder, decoder.config.embedDim != file.config.channels {
                throw PipelineError("--autoencoder makes \(decoder.config.embedDim)-channel latents but the model has \(file.config.channels) channels")
            }
            let classList = try classes.map { try ClassSelection.parse($0, count: file.nullClass, names: file.classNames) }
                ?? Array(0..<file.nullClass)
            let schedule = try NoiseSchedule.stableDiffusion()
            let solver = try sampler.make(schedule: schedule, steps: steps, seed: seed)
            let rule = rule()
            let shape = [file.config.channels, file.imageSize, file.imageSize]
            let factor = decoder.map { 1 << ($0.config.chMult.count - 1) } ?? 1
            let imageShape = decoder.map { [$0.config.outCh, file.imageSize * factor, file.imageSize * factor] } ?? shape
            // Checked before sampling: a model whose outputs are not images needs an autoencoder or gets raw latents.
            let rawLatents = decoder == nil && ![1, 3].contains(shape[0])
            let outputExisted = FileManager.default.fileExists(atPath: output)
            let latentWriter = rawLatents ? try LatentSampleWriter(output: output, overwrite: overwrite) : nil
            let outputs = rawLatents ? nil : try SampleOutputs(folder: output, classes: classList, perClass: perClass, imageShape: imageShape,
                                                               gridPerClass: gridPerClass, singles: !gridOnly, overwrite: overwrite,
                                                               classNames: file.classNames)
            if rawLatents { Console.line("no --autoencoder: writing the raw \(shape) latents to \(output)/latents/") }
            if let decoder, let autoencoder {
                Console.line("autoencoder: \(autoencoder), latents \(shape) decoded to \(imageShape) (scale factor \(decoder.config.scaleFactor))")
            }
            Console.line("model: \(file.model.parameterCount) parameters (\(file.weights.description) weights), \(file.imageSize)x\(file.imageSize)")
            Console.line("sampling: \(solver.summary(guidance: rule, interval: guidanceInterval)); \(precision) precision")
            var gridSampler = ClassGridSampler(model: file.model, nullClass: file.nullClass, imageShape: shape)
            gridSampler.batchSize = batchSize
            gridSampler.device = device
            gridSampler.precision = precision
            let samplingStart = Date()
            let terminal = isatty(STDERR_FILENO) != 0
            // A run that fails leaves what it wrote; an output folder it created and wrote nothing into goes.
            var failed = true
            defer {
                if failed {
                    outputs?.abandon()
                    if !outputExisted { OutputLock.removeIfUnused(output) }
                }
            }
            try gridSampler.forEachBatch(classes: classList, perClass: perClass, sampler: solver, guidance: rule,
                                         guidanceInterval: guidanceInterval, seed: seed) { batch in
                if let latentWriter {
                    try latentWriter.add(batch)
                } else if let outputs {
                    if let decoder {
                        let rgb = try withNoGrad { try decoder.decode(batch.images.to(device: device)).clamp(min: -1, max: 1).to(device: .cpu) }
                        try outputs.add(batch.replacingImages(rgb))
                    } else {
                        try outputs.add(batch)
                    }
                }
                let done = batch.start + batch.labels.count
                FileHandle.standardError.write(Data((terminal ? "\rsampled \(done)/\(batch.total)" : "sampled \(done)/\(batch.total)\n").utf8))
                return !Interrupt.requested
            }
            failed = false
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            let samplingSeconds = Date().timeIntervalSince(samplingStart)
            let total = classList.count * perClass
            let n = outputs?.written ?? latentWriter?.written ?? 0
            let complete = n == total
            let files = try outputs?.finish(complete: complete) ?? ["latents/"]
            Console.line(String(format: "wrote %ld of %ld images to %@ (%@) in %.1f s: %.2f images/s sampling",
                         n, total, output, files.joined(separator: ", "), Date().timeIntervalSince(started),
                         Double(n) / max(samplingSeconds, 1e-9)))
            if !complete {
                FileHandle.standardError.write(Data("interrupted: the \(n) images made are kept; samples.npz is written only by a complete run\n".utf8))
                throw ExitCode(Interrupt.exitStatus)
            }
        }
    }

    /// The guidance rule the options give.
    private func rule() -> Guidance {
        switch guidance {
        case .constant: return .constant(scale: scale)
        case .decayed: return .decayed(scale: scale, power: power)
        case .none: return .none
        }
    }
}
