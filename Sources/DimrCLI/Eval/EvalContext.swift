import ArgumentParser
import Datasets
import Diffusion
import Evaluation
import Foundation
import Pipeline
import Torch

/// The parts of a `dimr eval` run: opening the images, the feature networks and their references, and the
/// protocol fields each step adds to the report.
struct EvalContext {
    /// A feature network with its reference, and whether precision/recall are measured against it.
    struct Setup<Network> {
        let network: Network
        let reference: ReferenceFile
        let precisionRecall: Bool
    }

    /// The project's classifier, which `--classifier auto` takes for Fashion-MNIST images.
    static let bundledClassifier = "models/fmnist-classifier.safetensors"

    let command: Eval
    let device: Device
    let started = Date()
    private var writer: NPZSampleWriter?
    private var fashionLike = false

    init(command: Eval, device: Device) {
        self.command = command
        self.device = device
    }

    /// Seconds since the run started.
    var elapsed: Double { Date().timeIntervalSince(started) }

    /// The images to measure: a model's samples or --samples.
    mutating func openSource(report: inout EvalReport) throws -> any EvalImageSource {
        report.protocolFields["libtorch"] = Torch.version
        report.protocolFields["threads"] = Torch.numThreads
        report.protocolFields["device"] = device.description
        report.protocolFields["dtype"] = "float32 feature networks; float64 statistics, Frechet distances, softmax and precision/recall distances"
        report.protocolFields["image_format"] = "uint8 (N, H, W, C); generated images in [-1, 1] rounded as dimr sample saves them: uint8(clamp((x + 1) / 2, 0, 1) * 255 + 0.5)"
        if let samples = command.samples {
            let spec = try ImageSourceSpec(parsing: samples, option: "--samples")
            let source = try spec.open(dataDirectory: command.dataDir, limit: command.count, maxPixels: command.maxImagePixels,
                                       shuffleSeed: command.shuffleLabels)
            if case .fashionMNIST = spec { fashionLike = true }
            if let count = command.count, source.count < count {
                Self.warn("--count \(count), but \(samples) holds \(source.count) images: measuring those \(source.count)")
            }
            report.protocolFields["images"] = source.description
            report.protocolFields["labels"] = source.hasLabels ? (command.shuffleLabels != nil ? "the data set's, shuffled (seed \(command.shuffleLabels ?? 0))" : "the file's") : "none"
            return source
        }
        guard let path = command.model else { throw ValidationError("give MODEL or --samples") }
        let (configuration, presetSize) = try OptionChecks.givenConfiguration(preset: command.preset, config: command.config)
        let file = try ModelFile(path: path, useEMA: !command.noEma, device: device, configuration: configuration, imageSize: presetSize)
        let decoder = try command.autoencoder.map { try AutoencoderFile.load($0) }
        if let decoder, decoder.config.embedDim != file.config.channels {
            throw PipelineError("--autoencoder makes \(decoder.config.embedDim)-channel latents but the model has \(file.config.channels) channels")
        }
        if decoder == nil, ![1, 3].contains(file.config.channels) {
            throw ValidationError("\(path) makes \(file.config.channels)-channel latents: give --autoencoder to decode them to images")
        }
        let classes = file.nullClass
        let n = command.count ?? 10_000
        guard n % classes == 0 else {
            throw ValidationError("--count \(n) is not a multiple of the model's \(classes) classes: class-balanced sampling needs N / \(classes) images per class")
        }
        let schedule = try NoiseSchedule.stableDiffusion()
        let solver = try command.sampler.make(schedule: schedule, steps: command.steps, seed: command.seed)
        let rule = command.guidanceRule()
        let summary = solver.summary(guidance: rule, interval: command.guidanceInterval)
        if let save = command.saveSamples {
            FileErrors.removeStaleTemporaries(in: AtomicFile.folderOf(save))
            let factor = decoder.map { 1 << ($0.config.chMult.count - 1) } ?? 1
            writer = try NPZSampleWriter(path: save, count: n, height: file.imageSize * factor, width: file.imageSize * factor, channels: 3)
            report.protocolFields["saved_samples"] = save
        }
        fashionLike = classes == 10 && file.imageSize == 32 && file.config.channels == 1
        report.protocolFields["model"] = path
        report.protocolFields["weights"] = file.weights.rawValue
        report.protocolFields["model_parameters"] = file.model.parameterCount
        if let autoencoder = command.autoencoder { report.protocolFields["autoencoder"] = "\(autoencoder): latents decoded to RGB, clamped to [-1, 1]" }
        report.protocolFields["images"] = "\(n) samples of \(path), \(file.config.channels)x\(file.imageSize)x\(file.imageSize)"
        report.protocolFields["labels"] = "class-balanced: image k has class k mod \(classes) (\(n / classes) per class)"
        report.protocolFields["seed"] = command.seed
        report.protocolFields["noise"] = "image k starts from the noise of (seed, k), as dimr sample draws it"
        report.protocolFields["sampler"] = summary.sampler
        report.protocolFields["solver_steps"] = summary.solverSteps
        report.protocolFields["denoiser_calls"] = summary.denoiserCalls
        report.protocolFields["nfe"] = summary.networkEvaluationsPerImage
        report.protocolFields["guidance"] = rule.description
        switch rule {
        case .none: report.protocolFields["equivalent_standard_scale"] = 1.0
        case .constant(let s): report.protocolFields["equivalent_standard_scale"] = 1 + s
        case .decayed(let s, _): report.protocolFields["equivalent_standard_scale"] = "from 1 at t = 1000 to \(s) at t = 0"
        }
        report.protocolFields["guidance_interval"] = command.guidanceInterval.map { "\($0)" } ?? "none: guided at every call"
        report.protocolFields["guided_calls"] = summary.guidedCalls
        report.protocolFields["sampling_precision"] = "\(command.precision)"
        report.protocolFields["sampling_batch_size"] = command.batchSize
        return GeneratedImageSource(file: file, path: path, count: n, sampler: solver, guidance: rule, guidanceInterval: command.guidanceInterval,
                                    precision: command.precision, decoder: decoder, seed: command.seed, batchSize: command.batchSize, device: device,
                                    savingTo: writer)
    }

    /// Completes the --save-samples file.
    func finishSaving() throws { try writer?.finish() }

    /// The classifier weights to measure with: --classifier, or for `auto` the project's classifier when the
    /// images are Fashion-MNIST-like (1 channel, 28x28 or 32x32, or a Fashion-MNIST model's samples); nil for
    /// `none` or `auto` on other images.
    /// - Throws: `ValidationError` when the images are not what the classifier takes, naming their source
    ///   (the file and its array's shape), or when `auto` finds no classifier file.
    func classifierPath(for source: any EvalImageSource) throws -> String? {
        let shape = source.imageShape
        var path = command.classifier
        if path == "none" { return nil }
        if path == "auto" {
            let gray = shape.channels == 1 && shape.height == shape.width && [28, 32].contains(shape.height)
            guard fashionLike || gray else { return nil }
            path = Self.bundledClassifier
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("the Fashion-MNIST classifier \(path) was not found: run from the repository root, pass --classifier PATH, or --classifier none")
            }
        }
        guard FashionClassifier.accepts(height: shape.height, width: shape.width, channels: shape.channels) else {
            throw ValidationError("\(source.description): images of \(shape.width)x\(shape.height) with \(shape.channels) channels; "
                                  + "the Fashion-MNIST classifier takes 28x28 or 32x32 images with 1 or 3 channels (--classifier none skips it)")
        }
        return path
    }

    /// Writes `text` on standard error as a warning.
    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
    }

    /// `path` as reports show it: the home folder written `~`, so a report names no user's folder.
    static func shown(_ path: String) -> String {
        let home = NSHomeDirectory()
        guard !home.isEmpty, home != "/", path.hasPrefix(home + "/") else { return path }
        return "~" + path.dropFirst(home.count)
    }
}
