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
    /// A feature network with its reference.
    struct Setup<Network> {
        let network: Network
        let reference: ReferenceFile
    }

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
            let source = try spec.open(dataDirectory: command.dataDir, limit: command.count, shuffleSeed: command.shuffleLabels)
            if case .fashionMNIST = spec { fashionLike = true }
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

    /// The Inception network and its reference (read, or computed from the reference's images).
    func inceptionReference(weights: String, ref: String, report: inout EvalReport) throws -> Setup<FIDInceptionV3> {
        let network = try FIDInceptionV3.load(path: weights, device: device)
        let crc = Zlib.crc32(try MappedFile.read(weights))
        var fields: [String: Any] = [
            "weights": weights, "weights_crc32": String(format: "%08x", crc),
            "network": "pytorch-fid FID Inception-v3 (FIDInceptionA/C/E_1/E_2), float32",
            "input": "uint8 / 255, resized to 299x299 bilinear (align_corners=False, no antialias; pytorch-fid), 2x - 1; gray repeated to RGB",
            "features": "pool3 (2048) for FID and precision/recall; mixed_6/conv = Mixed_6d.branch1x1 ReLU output, first 7 channels, 17x17, (H, W, C) order (2023) for sFID; pool3 x fc.weight^T (no bias) for IS",
            "statistics": "float64; covariance normalised by n - 1; FID via eigh of sqrt(S1) S2 sqrt(S1)",
            "inception_score": "softmax in float64, consecutive 5000-image splits in image order, mean (and std) of split scores (ADM)",
            "precision_recall": "Kynkaenniemi et al., k = 3, squared distances in float64, radius = distance to the 3rd nearest other point (ADM)",
        ]
        let spec = try ImageSourceSpec(parsing: ref, option: "--ref")
        var reference = ReferenceFile()
        if case .npz(let path) = spec { reference = try ReferenceFile.read(path) }
        if let name = reference.network, name != "FIDInceptionV3" {
            throw ValidationError("--ref \(ref) holds statistics of \(name), not of the FID Inception-v3")
        }
        let needsImages = reference.statistics == nil || (!command.noPrecisionRecall && reference.features == nil)
        if needsImages, case .npz = spec, !reference.hasImages, reference.statistics == nil {
            throw ValidationError("--ref \(ref) holds neither statistics (mu, sigma) nor images (arr_0)")
        }
        if needsImages && (reference.hasImages || reference.statistics == nil) {
            var source = try spec.open(dataDirectory: command.dataDir, limit: nil)
            let measure = try InceptionMeasurement(network: network, keepPoolFeatures: !command.noPrecisionRecall)
            _ = try EvalRun.measure(&source, inception: measure, classifier: nil, featureBatch: command.featureBatchSize, what: "reference")
            if reference.statistics == nil {
                reference.statistics = try measure.poolStatistics()
                reference.spatial = try measure.spatialStatistics()
                fields["reference_statistics"] = "computed from the reference images"
            } else {
                fields["reference_statistics"] = "mu, sigma\(reference.spatial == nil ? "" : ", mu_s, sigma_s") of the file"
            }
            reference.features = try measure.features()
            reference.count = reference.count ?? measure.count
        } else {
            fields["reference_statistics"] = "mu, sigma\(reference.spatial == nil ? "" : ", mu_s, sigma_s") of the file"
        }
        fields["reference"] = ref
        fields["reference_n"] = reference.count ?? NSNull()
        report.protocolFields["inception"] = fields
        guard reference.statistics != nil else { throw ValidationError("--ref \(ref): no statistics") }
        return Setup(network: network, reference: reference)
    }

    /// The classifier and its reference statistics and features (cached for fashion-mnist:*), or nil when
    /// --classifier is none, or auto and the images are not Fashion-MNIST-like.
    func classifierReference(imageShape: (height: Int, width: Int, channels: Int), report: inout EvalReport) throws -> Setup<FashionClassifier>? {
        var path = command.classifier
        if path == "none" { return nil }
        if path == "auto" {
            let gray = imageShape.channels == 1 && imageShape.height == imageShape.width && [28, 32].contains(imageShape.height)
            guard fashionLike || gray else { return nil }
            path = "models/fmnist-classifier.safetensors"
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("the Fashion-MNIST classifier \(path) was not found: run from the repository root, pass --classifier PATH, or --classifier none")
            }
        }
        let (model, metadata) = try FashionClassifier.load(path: path, device: device)
        let crc = String(format: "%08x", Zlib.crc32(try MappedFile.read(path)))
        let networkName = "FashionClassifier \(crc)"
        var fields: [String: Any] = ["weights": path, "weights_crc32": crc, "features": "fc1 ReLU output (128)",
                                     "test_accuracy": metadata["test_accuracy"].flatMap(Double.init) ?? NSNull(),
                                     "precision_recall": "k = 3, as for Inception features", "reference": command.classifierRef]
        let spec = try ImageSourceSpec(parsing: command.classifierRef, option: "--classifier-ref")
        var reference = ReferenceFile()
        var cachePath: String?
        switch spec {
        case .npz(let file):
            reference = try ReferenceFile.read(file)
            if let name = reference.network, name != networkName {
                throw ValidationError("--classifier-ref \(file) holds statistics of \(name), not of \(networkName)")
            }
        case .fashionMNIST(let split):
            let folder = command.cacheDir ?? ProcessInfo.processInfo.environment["DIMR_CACHE"]
                ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/dimr")
            let file = "\(folder)/fmnist-\(split.rawValue)-classifier-\(crc).npz"
            cachePath = file
            if FileManager.default.fileExists(atPath: file) {
                reference = try ReferenceFile.read(file)
                fields["reference_cache"] = Self.shown(file)
            }
        case .folder:
            break
        }
        if reference.statistics == nil || reference.features == nil {
            var source = try spec.open(dataDirectory: command.dataDir, limit: nil)
            let measure = try ClassifierMeasurement(classifier: model)
            _ = try EvalRun.measure(&source, inception: nil, classifier: measure, featureBatch: 500, what: "classifier reference")
            reference.statistics = try measure.featureStatistics()
            reference.features = try measure.features()
            reference.count = measure.count
            if let cachePath, let stats = reference.statistics {
                try FileManager.default.createDirectory(atPath: (cachePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try ReferenceFile.write(to: cachePath, statistics: stats, spatial: nil, features: reference.features,
                                        count: measure.count, network: networkName)
                fields["reference_cache"] = Self.shown(cachePath)
            }
        }
        fields["reference_n"] = reference.count ?? NSNull()
        report.protocolFields["classifier"] = fields
        return Setup(network: model, reference: reference)
    }

    /// `path` as reports show it: the home folder written `~`, so a report names no user's folder.
    static func shown(_ path: String) -> String {
        let home = NSHomeDirectory()
        guard !home.isEmpty, home != "/", path.hasPrefix(home + "/") else { return path }
        return "~" + path.dropFirst(home.count)
    }
}
