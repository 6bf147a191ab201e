import ArgumentParser
import Datasets
import DiMR
import Diffusion
import Evaluation
import Foundation
import Pipeline
import Torch

/// `dimr eval`: FID, sFID, Inception Score, precision/recall and, for Fashion-MNIST, classifier measures,
/// of a model's class-balanced samples or of existing images, with the whole protocol printed as JSON.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure a model's samples (or existing images): FID, sFID, IS, precision/recall, class accuracy.",
        discussion: """
        Images: MODEL generates --count class-balanced samples (image k has class k mod C and the noise of \
        (seed, k), as `dimr sample` draws it; sampler options as `dimr sample`), or --samples reads an ADM-layout \
        .npz (uint8 arr_0 (N, H, W, C), labels arr_1), a folder of PNG/JPEG files or fashion-mnist:train|test.
        Inception measures (--inception pytorch-fid's pt_inception-2015-12-05-6726825d.pth, --ref): FID and sFID \
        against the reference's mu/sigma (mu_s/sigma_s), the Inception Score (ADM: consecutive 5000-image \
        splits, mean of split scores) and precision/recall (k = 3) against the reference's features or images.
        Classifier measures (--classifier, automatic for Fashion-MNIST models): class accuracy, FID, precision \
        and recall in the classifier's 128-d features against the 10,000 test images (statistics cached).
        --no-precision-recall skips precision/recall for both networks; a reference holding statistics only \
        (mu, sigma, as `dimr eval-ref --no-features` writes) gives FID without them (a note says so).
        With --save-samples and nothing to measure (--classifier none, no --inception), only generates and saves.
        Outputs are checked before any work: --output and --save-samples must not be an input file, and their \
        folder must exist. Ctrl-C stops after the current batch (exit 130, or 143 for SIGTERM; no partial --save-samples file).
        Prints one JSON object (metrics, protocol, timing) on standard output and a summary on standard error.
        """)

    @Argument(help: "A model to sample from: a training checkpoint, exported weights, or a PyTorch state dict (.pth, with --preset or --config).")
    var model: String?
    @Option(help: "Model preset for weights without a configuration, e.g. DiMR-XL/2R (see `dimr info --presets`).") var preset: String?
    @Option(help: "Model configuration JSON (the authors' field names) for weights without one.") var config: String?
    @Option(help: "Autoencoder weights that decode a latent model's samples to RGB before they are measured (the authors' autoencoder_kl_ema.pth).")
    var autoencoder: String?
    @Option(help: "Measure these images instead: an .npz (ADM layout), an image folder, or fashion-mnist:train|test.") var samples: String?
    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: "Samples to generate (default 10000), or the first N images of --samples (default all).")
    var count: Int?
    @Option(help: "Sampler, as for `dimr sample`: dpm-solver (the authors'), dpm-solver++ (2M), ddim, unipc-2, unipc-3 or dpm-solver++-3m-sde.")
    var sampler: SamplerName = .dpmSolver
    @Option(parsing: .unconditional, help: "Solver steps (denoiser calls).") var steps: Int = 25
    @Option(help: "Guidance rule: constant, decayed or none.") var guidance: Sample.Rule = .constant
    @Option(parsing: .unconditional, help: "Guidance scale: s of the constant rule, the final scale of the decayed rule.") var scale: Double = 1.0
    @Option(parsing: .unconditional, help: "Power of the decayed rule.") var power: Double = 1.0
    @Option(help: ArgumentHelp("Guide only at times t with LOW < t <= HIGH on the authors' time scale 0...1000, as for `dimr sample` (default: every step).",
                               valueName: "low,high"),
            transform: { try GuidanceInterval(parsing: $0, schedule: NoiseSchedule.stableDiffusion()) })
    var guidanceInterval: GuidanceInterval?
    @Option(help: OptionChecks.precisionHelp) var precision: Precision = .float32
    @Option(parsing: .unconditional, help: "Seed; image k's noise depends only on (seed, k).") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Images per sampling batch.") var batchSize: Int = 64
    @Flag(help: "Use the raw weights instead of the EMA ones.") var noEma = false
    @Option(help: "Also write the generated samples here (.npz, ADM layout: uint8 NHWC, 3 channels, labels arr_1).") var saveSamples: String?
    @Option(help: "FID Inception weights: pytorch-fid's pt_inception-2015-12-05-6726825d.pth (or that state dict as .safetensors).")
    var inception: String?
    @Option(help: "Inception reference: statistics .npz (mu, sigma[, mu_s, sigma_s, features, arr_0]), an images .npz or folder, or fashion-mnist:train|test.")
    var ref: String?
    @Option(help: "Fashion-MNIST classifier weights, `auto` (models/fmnist-classifier.safetensors for Fashion-MNIST images) or `none`.")
    var classifier: String = "auto"
    @Option(help: "Classifier reference: fashion-mnist:test (cached), fashion-mnist:train, or as --ref (statistics only: no precision/recall).")
    var classifierRef: String = "fashion-mnist:test"
    @Option(help: "Folder of the Fashion-MNIST IDX files (default: $DIMR_FASHION_MNIST, else Debian's).") var dataDir: String?
    @Option(help: "Cache of reference statistics (default: $DIMR_CACHE, else ~/.cache/dimr).") var cacheDir: String?
    @Option(parsing: .unconditional, help: "Shuffle the labels of fashion-mnist:* samples with this seed (a baseline).") var shuffleLabels: UInt64?
    @Flag(help: "Skip precision/recall of both feature networks (they need every feature vector and N^2 distances).") var noPrecisionRecall = false
    @Option(parsing: .unconditional, help: "The most pixels (width x height) an image of a --samples or --ref folder may have.")
    var maxImagePixels: Int = ImageDecoder.defaultMaxPixels
    @Option(parsing: .unconditional, help: "Images per feature-network batch.") var featureBatchSize: Int = 50
    @Option(help: "Also write the JSON object to this file.") var output: String?
    @Option(parsing: .unconditional, help: "Intra-op threads (default: libtorch's).") var threads: Int?
    @Option(help: "Device: cpu or cuda[:N].") var device: String = "cpu"

    func validate() throws {
        guard (model == nil) != (samples == nil) else { throw ValidationError("give either MODEL (to generate samples) or --samples, not both or neither") }
        if let count, count <= 0 { throw ValidationError("--count must be positive, got \(count)") }
        guard steps > 0, batchSize > 0, featureBatchSize > 0 else { throw ValidationError("--steps, --batch-size and --feature-batch-size must be positive") }
        try OptionChecks.threads(threads)
        _ = try OptionChecks.device(device)
        guard (inception == nil) == (ref == nil) else { throw ValidationError("--inception and --ref go together") }
        if let inception, !FileManager.default.fileExists(atPath: inception) {
            throw ValidationError("--inception: \(inception) not found (pytorch-fid's \(FIDInceptionV3.weightsFileName); it is not downloaded)")
        }
        if let ref { _ = try ImageSourceSpec(parsing: ref, option: "--ref") }
        if let samples { _ = try ImageSourceSpec(parsing: samples, option: "--samples") }
        if classifier != "none" { _ = try ImageSourceSpec(parsing: classifierRef, option: "--classifier-ref") }
        if model != nil, shuffleLabels != nil { throw ValidationError("--shuffle-labels applies to --samples fashion-mnist:train|test") }
        if model == nil, saveSamples != nil { throw ValidationError("--save-samples needs a MODEL to sample from") }
        try OptionChecks.real("--scale", scale, in: OptionChecks.float32Range, meaning: "the guidance runs in float32")
        try guidanceRule().validate()
        try OptionChecks.precision(precision, device: device)
        if model == nil, guidanceInterval != nil || precision != .float32 || preset != nil || config != nil || autoencoder != nil {
            throw ValidationError("--guidance-interval, --precision, --preset, --config and --autoencoder apply to sampling from a MODEL")
        }
        guard preset == nil || config == nil else { throw ValidationError("give --preset or --config, not both") }
        if let preset { _ = try NetworkPreset.named(preset) }
        if let config, !FileManager.default.fileExists(atPath: config) { throw ValidationError("--config: no file \(config)") }
        if let autoencoder, !FileManager.default.fileExists(atPath: autoencoder) { throw ValidationError("--autoencoder: no file \(autoencoder)") }
        if !["auto", "none"].contains(classifier), !FileManager.default.fileExists(atPath: classifier) {
            throw ValidationError("--classifier: \(classifier) not found")
        }
        try OptionChecks.integer("--max-image-pixels", maxImagePixels, in: 1...Int.max)
        try checkPaths()
    }

    /// Outputs before any work: each in an existing, writable folder, none an input or the other output.
    private func checkPaths() throws {
        if let saveSamples { try PathChecks.outputFile(saveSamples, option: "--save-samples") }
        if let output { try PathChecks.outputFile(output, option: "--output") }
        let outputs = [("--save-samples", saveSamples), ("--output", output)].compactMap { option, path in
            path.map { PathChecks.Named(option: option, path: $0) }
        }
        let classifierFile = classifier == "auto" ? EvalContext.bundledClassifier : classifier
        let inputs = PathChecks.inputs([("MODEL", model), ("--config", config), ("--autoencoder", autoencoder), ("--samples", samples),
                                        ("--inception", inception), ("--ref", ref), ("--classifier", classifierFile),
                                        ("--classifier-ref", classifierRef)])
        try PathChecks.distinct(outputs: outputs, inputs: inputs + PathChecks.fashionMNISTFiles(dataDir: dataDir))
    }

    func guidanceRule() -> Guidance {
        switch guidance {
        case .constant: return .constant(scale: scale)
        case .decayed: return .decayed(scale: scale, power: power)
        case .none: return .none
        }
    }

    func run() throws {
        try OptionChecks.plainErrors {
            Interrupt.install()
            do {
                try evaluate()
            } catch let stop as EvalRun.Interrupted {
                let saved = saveSamples.map { "; \($0) is written only by a complete run" } ?? ""
                FileHandle.standardError.write(Data("\ninterrupted after \(stop.done) images: nothing measured\(saved)\n".utf8))
                throw ExitCode(Interrupt.exitStatus)
            }
        }
    }

    /// The run: images, references and counts checked, then references computed, then images made and measured.
    private func evaluate() throws {
        OptionChecks.applyThreads(threads)
        let device = try OptionChecks.device(device)
        var report = EvalReport()
        var context = EvalContext(command: self, device: device)
        var source = try context.openSource(report: &report)
        let classifierPath = try context.classifierPath(for: source)
        guard inception != nil || classifierPath != nil || saveSamples != nil else {
            throw ValidationError("nothing to measure: pass --inception and --ref, or --classifier (automatic for 1-channel 28x28 or 32x32 images; "
                                  + "Fashion-MNIST samples saved as RGB .npz need --classifier models/fmnist-classifier.safetensors), or --save-samples only")
        }
        // References read and checked, the cache folder and the image counts too: all before any work.
        let inceptionPlan = try inception.map { _ in
            try context.planReference(ref ?? "", option: "--ref", dimensions: .init(features: FIDInceptionV3.poolDimension,
                                      spatial: FIDInceptionV3.spatialDimension, what: "FID Inception-v3 pool3 features"),
                                      network: "FIDInceptionV3", cache: nil)
        }
        var classifierPlan: ReferencePlan?
        var classifierCRC = ""
        if let classifierPath {
            classifierCRC = String(format: "%08x", Zlib.crc32(try MappedFile.read(classifierPath)))
            var cache: String?
            if case .fashionMNIST(let split) = try ImageSourceSpec(parsing: classifierRef, option: "--classifier-ref") {
                cache = try context.classifierCache(split: split, crc: classifierCRC)
            }
            classifierPlan = try context.planReference(classifierRef, option: "--classifier-ref",
                                                       dimensions: .init(features: FashionClassifier.featureDimension, spatial: nil,
                                                                         what: "the classifier's features"),
                                                       network: "FashionClassifier \(classifierCRC)", cache: cache,
                                                       acceptsImages: FashionClassifier.accepts(height:width:channels:))
        }
        let plans = [inceptionPlan, classifierPlan].compactMap { $0 }
        try Self.checkCount(source.count, plans: plans)
        report.notes += plans.compactMap(\.note)

        // Networks, and the references computed where the files lack something.
        var inceptionSetup: EvalContext.Setup<FIDInceptionV3>?
        if let inception, let plan = inceptionPlan {
            inceptionSetup = try context.inceptionSetup(weights: inception, plan: plan, report: &report)
        }
        var classifierSetup: EvalContext.Setup<FashionClassifier>?
        if let classifierPath, let plan = classifierPlan {
            classifierSetup = try context.classifierSetup(weights: classifierPath, crc: classifierCRC, plan: plan, report: &report)
        }
        let inceptionMeasure = try inceptionSetup.map { try InceptionMeasurement(network: $0.network, keepPoolFeatures: $0.precisionRecall) }
        let classifierMeasure = try classifierSetup.map { try ClassifierMeasurement(classifier: $0.network, keepFeatures: $0.precisionRecall) }
        let timing = try EvalRun.measure(&source, inception: inceptionMeasure, classifier: classifierMeasure,
                                         featureBatch: featureBatchSize, what: model == nil ? "images" : "samples")
        try context.finishSaving()
        let n = source.count
        if let measure = inceptionMeasure, let setup = inceptionSetup, let stats = setup.reference.statistics {
            let fid = try FrechetDistance.compute(measure.poolStatistics(), stats)
            let sfid = try setup.reference.spatial.map { try FrechetDistance.compute(measure.spatialStatistics(), $0) }
            if setup.reference.spatial == nil { report.notes.append("sFID: the reference has no spatial statistics (mu_s, sigma_s)") }
            var pr: PrecisionRecallResult?
            if setup.precisionRecall, let refFeatures = setup.reference.features, let features = try measure.features() {
                pr = try PrecisionRecall.compute(reference: refFeatures, samples: features)
            }
            report.addInception(fid: fid, sfid: sfid, inceptionScore: try measure.inceptionScore(), precisionRecall: pr)
        }
        if let measure = classifierMeasure, let setup = classifierSetup, let stats = setup.reference.statistics {
            let fid = try FrechetDistance.compute(measure.featureStatistics(), stats)
            var pr: PrecisionRecallResult?
            if setup.precisionRecall, let refFeatures = setup.reference.features {
                pr = try PrecisionRecall.compute(reference: refFeatures, samples: measure.features())
            }
            report.addClassifier(fid: fid, precisionRecall: pr, accuracy: source.hasLabels ? measure.accuracy : nil,
                                 classNames: FashionMNIST.classNames)
        }
        report.protocolFields["n"] = n
        report.timing["total_s"] = context.elapsed
        report.timing[model == nil ? "reading_s" : "sampling_s"] = timing.source
        report.timing["features_s"] = timing.features
        if inceptionMeasure != nil || classifierMeasure != nil, timing.features > 0 {
            report.timing["feature_images_per_s"] = Double(n) / timing.features
        }
        if model != nil, timing.source > 0 { report.timing["sampling_images_per_s"] = Double(n) / timing.source }
        let json = try report.json()
        print(json)
        if let output { try AtomicFile.write(to: output) { try $0.write(Data((json + "\n").utf8)) } }
        let notes = report.notes.map { "note: \($0)\n" }.joined()
        FileHandle.standardError.write(Data((report.summary() + "\n" + notes).utf8))
    }

    /// Refuses, before any work, too few images for what is measured: FID needs 2 (a covariance), precision/recall
    /// more than k = 3.
    static func checkCount(_ n: Int, plans: [ReferencePlan]) throws {
        guard !plans.isEmpty else { return }
        guard n >= 2 else { throw ValidationError("FID needs at least 2 images (a covariance), got \(n)") }
        let k = PrecisionRecall.defaultNeighbours
        if plans.contains(where: \.precisionRecall), n <= k {
            throw ValidationError("precision/recall (k = \(k)) need more than \(k) images, got \(n): measure more, or pass --no-precision-recall")
        }
    }
}
