import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Pipeline
import Torch

/// `dimr eval-ref`: reference statistics (and features) of an image set, for `dimr eval --ref`.
struct EvalRef: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval-ref",
        abstract: "Compute reference statistics of images for `dimr eval --ref` / `--classifier-ref`.",
        discussion: """
        SOURCE is an ADM-layout .npz (uint8 arr_0), an image folder or fashion-mnist:train|test. With --inception \
        writes mu, sigma (pool3), mu_s, sigma_s (spatial) in float64, as the ADM suite's reference batches hold \
        them, plus features (pool3, float32) for precision/recall, n and network. With --classifier writes mu, \
        sigma and features of the Fashion-MNIST classifier. OUTPUT must not be an input file, and its folder must \
        exist.
        """)

    @Argument(help: "Images: an .npz (ADM layout), a folder of PNG/JPEG files, or fashion-mnist:train|test.") var source: String
    @Option(help: "Output .npz.") var output: String
    @Option(help: "FID Inception weights (pytorch-fid's pt_inception-2015-12-05-6726825d.pth).") var inception: String?
    @Option(help: "Fashion-MNIST classifier weights instead of Inception, or `auto` for the bundled models/fmnist-classifier.safetensors.")
    var classifier: String?

    /// The classifier weights --classifier names (`auto`: the bundled ones, as `dimr eval` reads them).
    var classifierPath: String? { classifier == "auto" ? EvalContext.bundledClassifier : classifier }
    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: "Use the first N images only.") var count: Int?
    @Flag(help: "Leave the features out (statistics only: no precision/recall against this file).") var noFeatures = false
    @Option(help: "Folder of the Fashion-MNIST IDX files.") var dataDir: String?
    @Option(parsing: .unconditional, help: "Images per feature-network batch.") var featureBatchSize: Int = 50
    @Option(parsing: .unconditional, help: "The most pixels (width x height) an image of a SOURCE folder may have.")
    var maxImagePixels: Int = ImageDecoder.defaultMaxPixels
    @Option(parsing: .unconditional, help: "Intra-op threads (default: libtorch's).") var threads: Int?
    @Option(help: "Device: cpu or cuda[:N].") var device: String = "cpu"

    func validate() throws {
        guard (inception == nil) != (classifier == nil) else { throw ValidationError("give exactly one of --inception and --classifier") }
        if let count, count < 2 { throw ValidationError("--count must be at least 2 (a covariance needs two images), got \(count)") }
        guard featureBatchSize > 0 else { throw ValidationError("--feature-batch-size must be positive") }
        try OptionChecks.threads(threads)
        _ = try OptionChecks.device(device)
        try OptionChecks.integer("--max-image-pixels", maxImagePixels, in: 1...Int.max)
        _ = try ImageSourceSpec(parsing: source, option: "SOURCE")
        for (option, path) in [("--inception", inception), ("--classifier", classifierPath)] {
            if let path, !FileManager.default.fileExists(atPath: path) { throw ValidationError("\(option): \(path) not found") }
        }
        try PathChecks.outputFile(output, option: "--output")
        let inputs = PathChecks.inputs([("SOURCE", source), ("--inception", inception), ("--classifier", classifierPath)])
        try PathChecks.distinct(outputs: [PathChecks.Named(option: "--output", path: output)],
                                inputs: inputs + PathChecks.fashionMNISTFiles(dataDir: dataDir))
    }

    func run() throws {
        try OptionChecks.plainErrors {
            Interrupt.install()
            do {
                try computeReference()
            } catch let stop as EvalRun.Interrupted {
                FileHandle.standardError.write(Data("\ninterrupted after \(stop.done) images: \(output) not written\n".utf8))
                throw ExitCode(Interrupt.exitStatus)
            }
        }
    }

    /// Opens and checks the images, then measures them and writes OUTPUT.
    private func computeReference() throws {
        OptionChecks.applyThreads(threads)
        let device = try OptionChecks.device(device)
        var images = try ImageSourceSpec(parsing: source, option: "SOURCE").open(dataDirectory: dataDir, limit: count, maxPixels: maxImagePixels)
        if let count, images.count < count {
            EvalContext.warn("--count \(count), but \(source) holds \(images.count) images: using those \(images.count)")
        }
        guard images.count >= 2 else { throw ValidationError("\(images.description): statistics need at least 2 images (a covariance)") }
        let shape = images.imageShape
        if classifier != nil, !FashionClassifier.accepts(height: shape.height, width: shape.width, channels: shape.channels) {
            throw ValidationError("\(images.description): images of \(shape.width)x\(shape.height) with \(shape.channels) channels; "
                                  + "the Fashion-MNIST classifier takes 28x28 or 32x32 images with 1 or 3 channels")
        }
        let k = PrecisionRecall.defaultNeighbours
        if !noFeatures, images.count <= k {
            EvalContext.warn("\(images.count) images: precision/recall (k = \(k)) need more than \(k), so the features written cannot serve them")
        }
        let started = Date()
        if let inception {
            let measure = try InceptionMeasurement(network: FIDInceptionV3.load(path: inception, device: device), keepPoolFeatures: !noFeatures)
            _ = try EvalRun.measure(&images, inception: measure, classifier: nil, featureBatch: featureBatchSize, what: "reference")
            try ReferenceFile.write(to: output, statistics: measure.poolStatistics(), spatial: measure.spatialStatistics(),
                                    features: measure.features(), count: measure.count, network: "FIDInceptionV3")
        } else if let classifier = classifierPath {
            let (model, _) = try FashionClassifier.load(path: classifier, device: device)
            let crc = String(format: "%08x", Zlib.crc32(try MappedFile.read(classifier)))
            let measure = try ClassifierMeasurement(classifier: model, keepFeatures: !noFeatures)
            _ = try EvalRun.measure(&images, inception: nil, classifier: measure, featureBatch: featureBatchSize, what: "reference")
            try ReferenceFile.write(to: output, statistics: measure.featureStatistics(), spatial: nil,
                                    features: noFeatures ? nil : measure.features(), count: measure.count,
                                    network: "FashionClassifier \(crc)")
        }
        print(String(format: "wrote %@: statistics of %ld images (%@) in %.1f s", output, images.count, images.description,
                     Date().timeIntervalSince(started)))
    }
}
