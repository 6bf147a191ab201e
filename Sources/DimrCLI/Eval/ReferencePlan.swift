import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Pipeline
import Torch

/// A feature network's reference as the command line gives it (`--ref`, `--classifier-ref`), read and checked
/// before any image is made or measured: the arrays of its `.npz` (or of the classifier's cache), whether
/// precision/recall can be measured against it, and the reference images still to measure, already opened.
struct ReferencePlan {
    /// The option that named it.
    let option: String
    /// The reference as given.
    let text: String
    /// What it is.
    let spec: ImageSourceSpec
    /// What the file (or the cache) holds; statistics and features computed from images are added later.
    var file = ReferenceFile()
    /// Whether precision/recall will be measured against it.
    var precisionRecall = false
    /// The reference images to measure, when statistics or wanted features are missing.
    var images: (any EvalImageSource)?
    /// The classifier cache file to write once the reference is computed.
    var cachePath: String?
    /// The classifier cache file the reference was read from.
    var readFromCache: String?
    /// Why precision/recall is not measured although wanted.
    var note: String?

    init(option: String, text: String, spec: ImageSourceSpec) {
        self.option = option
        self.text = text
        self.spec = spec
    }

    /// Whether the reference's images must be measured: statistics missing, or features that precision/recall need.
    var needsImages: Bool { file.statistics == nil || (precisionRecall && file.features == nil) }
}

extension EvalContext {
    /// Reads and checks the reference `text` of `option` (statistics dimensions, finite values, symmetric
    /// covariances, the network that made them), decides whether precision/recall can be measured, and opens
    /// the reference images when some of it must be computed from them; computes nothing.
    ///
    /// - Parameters:
    ///   - network: the `network` name the file must hold when it holds one.
    ///   - cache: for `fashion-mnist:*`, the cache file to read (and write), nil when not caching.
    ///   - acceptsImages: whether the feature network takes reference images of this (height, width, channels).
    func planReference(_ text: String, option: String, dimensions: ReferenceFile.Dimensions, network: String,
                       cache: String?, acceptsImages: (Int, Int, Int) -> Bool = { _, _, _ in true }) throws -> ReferencePlan {
        let spec = try ImageSourceSpec(parsing: text, option: option)
        var plan = ReferencePlan(option: option, text: text, spec: spec)
        var hasImages = true
        switch spec {
        case .npz(let path):
            plan.file = try ReferenceFile.read(path, option: option, dimensions: dimensions)
            if let name = plan.file.network, name != network {
                throw ValidationError("\(option) \(text) holds statistics of \(name), not of \(network)")
            }
            hasImages = plan.file.hasImages
        case .fashionMNIST:
            plan.cachePath = cache
            if let cache, FileManager.default.fileExists(atPath: cache) {
                do {
                    let cached = try ReferenceFile.read(cache, option: "the cache", dimensions: dimensions)
                    guard cached.network == network, cached.statistics != nil, cached.features != nil else {
                        throw CommandError("it is not a complete reference of \(network)")
                    }
                    plan.file = cached
                    plan.readFromCache = cache
                } catch {
                    let folder = AtomicFile.folderOf(cache)
                    if (try? FileErrors.checkWritable(folder: folder)) == nil {
                        EvalContext.warn("the cached reference \(cache) cannot be used (\(FileErrors.reason(error))) nor replaced "
                                         + "(\(folder) is not writable): computing the reference without keeping it")
                        plan.cachePath = nil
                    } else {
                        EvalContext.warn("the cached reference \(cache) cannot be used (\(FileErrors.reason(error))): computing it again and replacing it")
                    }
                }
            }
        case .folder:
            break
        }
        guard plan.file.statistics != nil || hasImages else {
            throw ValidationError("\(option) \(text) holds neither statistics (mu, sigma) nor images (arr_0)")
        }
        let k = PrecisionRecall.defaultNeighbours
        let wanted = !command.noPrecisionRecall
        plan.precisionRecall = wanted && (plan.file.features != nil || hasImages)
        if wanted && !plan.precisionRecall {
            plan.note = "precision/recall not measured: \(option) \(text) holds statistics only (mu, sigma), neither features nor images"
        }
        if plan.precisionRecall, let features = plan.file.features, features.size(0) <= k {
            throw ValidationError("\(option) \(text) holds \(features.size(0)) feature vectors; precision/recall (k = \(k)) need more than \(k): "
                                  + "give a larger reference, or pass --no-precision-recall")
        }
        if plan.needsImages {
            let images = try spec.open(dataDirectory: command.dataDir, limit: nil, maxPixels: command.maxImagePixels)
            let shape = images.imageShape
            guard acceptsImages(shape.height, shape.width, shape.channels) else {
                throw ValidationError("\(option) \(images.description): images of \(shape.width)x\(shape.height) with \(shape.channels) channels "
                                      + "are not what \(network) takes")
            }
            if plan.file.statistics == nil, images.count < 2 {
                throw ValidationError("\(option) \(text) holds \(images.count) image; reference statistics need at least 2")
            }
            if plan.precisionRecall, plan.file.features == nil, images.count <= k {
                throw ValidationError("\(option) \(text) holds \(images.count) images; precision/recall (k = \(k)) need more than \(k): "
                                      + "give a larger reference, or pass --no-precision-recall")
            }
            plan.images = images
        }
        return plan
    }

    /// The classifier reference cache for `split` (of the Fashion-MNIST files in --data-dir, by their
    /// fingerprint, so that a cut or changed copy of the data has its own) and the weights with CRC `crc`: in --cache-dir, else
    /// $DIMR_CACHE, else ~/.cache/dimr. When the file is not there, its folder is created and checked now, so
    /// that a bad folder is reported before the work; nil (after a warning) when the folder was not given by
    /// --cache-dir and cannot be used.
    /// - Throws: `ValidationError` when --cache-dir was given and cannot be used.
    func classifierCache(split: FashionMNIST.Split, crc: String) throws -> String? {
        let folder = command.cacheDir ?? ProcessInfo.processInfo.environment["DIMR_CACHE"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/dimr")
        let data = try FashionMNIST.fingerprint(split: split, directory: command.dataDir)
        let file = "\(folder)/fmnist-\(split.rawValue)-\(data)-classifier-\(crc).npz"
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isFolder), !isFolder.boolValue { return file }
        do {
            try FileErrors.createFolder(folder)
            try FileErrors.checkWritable(folder: folder)
        } catch {
            let reason = FileErrors.reason(error)
            if command.cacheDir != nil { throw ValidationError("--cache-dir \(folder) cannot hold the reference cache: \(reason)") }
            EvalContext.warn("the reference cache folder \(folder) cannot be used (\(reason)): the reference statistics are computed and not kept")
            return nil
        }
        return file
    }

    /// The Inception network and its reference, completed from the reference images where the file lacks
    /// statistics or the features precision/recall need.
    func inceptionSetup(weights: String, plan: ReferencePlan, report: inout EvalReport) throws -> Setup<FIDInceptionV3> {
        let network = try FIDInceptionV3.load(path: weights, device: device)
        let crc = Zlib.crc32(try MappedFile.read(weights))
        var fields: [String: Any] = [
            "weights": weights, "weights_crc32": String(format: "%08x", crc),
            "network": "pytorch-fid FID Inception-v3 (FIDInceptionA/C/E_1/E_2), float32",
            "input": "uint8 / 255, resized to 299x299 bilinear (align_corners=False, no antialias; pytorch-fid), 2x - 1; gray repeated to RGB",
            "features": "pool3 (2048) for FID and precision/recall; mixed_6/conv = Mixed_6d.branch1x1 ReLU output, first 7 channels, 17x17, (H, W, C) order (2023) for sFID; pool3 x fc.weight^T (no bias) for IS",
            "statistics": "float64; covariance normalised by n - 1; FID via eigh of sqrt(S1) S2 sqrt(S1)",
            "inception_score": "softmax in float64, consecutive 5000-image splits in image order, mean (and std) of split scores (ADM)",
            "precision_recall": precisionRecallField(plan, measured: "Kynkaenniemi et al., k = 3, squared distances in float64, "
                                                      + "radius = distance to the 3rd nearest other point (ADM)"),
        ]
        var reference = plan.file
        if var images = plan.images {
            let measure = try InceptionMeasurement(network: network, keepPoolFeatures: plan.precisionRecall)
            _ = try EvalRun.measure(&images, inception: measure, classifier: nil, featureBatch: command.featureBatchSize, what: "reference")
            if reference.statistics == nil {
                reference.statistics = try measure.poolStatistics()
                reference.spatial = try measure.spatialStatistics()
                fields["reference_statistics"] = "computed from the reference images"
            }
            if plan.precisionRecall { reference.features = try measure.features() }
            reference.count = reference.count ?? measure.count
        }
        if fields["reference_statistics"] == nil {
            fields["reference_statistics"] = "mu, sigma\(reference.spatial == nil ? "" : ", mu_s, sigma_s") of the file"
        }
        fields["reference"] = plan.text
        fields["reference_n"] = reference.count ?? NSNull()
        report.protocolFields["inception"] = fields
        return Setup(network: network, reference: reference, precisionRecall: plan.precisionRecall)
    }

    /// The classifier and its reference statistics and features (cached for fashion-mnist:*).
    func classifierSetup(weights path: String, crc: String, plan: ReferencePlan, report: inout EvalReport) throws -> Setup<FashionClassifier> {
        let (model, metadata) = try FashionClassifier.load(path: path, device: device)
        var fields: [String: Any] = ["weights": path, "weights_crc32": crc, "features": "fc1 ReLU output (128)",
                                     "test_accuracy": metadata["test_accuracy"].flatMap(Double.init) ?? NSNull(),
                                     "precision_recall": precisionRecallField(plan, measured: "k = 3, as for Inception features"),
                                     "reference": plan.text]
        var reference = plan.file
        if let cache = plan.readFromCache { fields["reference_cache"] = Self.shown(cache) }
        if var images = plan.images {
            let keep = plan.precisionRecall || plan.cachePath != nil
            let measure = try ClassifierMeasurement(classifier: model, keepFeatures: keep)
            _ = try EvalRun.measure(&images, inception: nil, classifier: measure, featureBatch: 500, what: "classifier reference")
            if reference.statistics == nil { reference.statistics = try measure.featureStatistics() }
            if keep { reference.features = try measure.features() }
            reference.count = reference.count ?? measure.count
            if let cachePath = plan.cachePath, let stats = reference.statistics {
                try ReferenceFile.write(to: cachePath, statistics: stats, spatial: nil, features: reference.features,
                                        count: measure.count, network: "FashionClassifier \(crc)")
                fields["reference_cache"] = Self.shown(cachePath)
            }
        }
        fields["reference_n"] = reference.count ?? NSNull()
        report.protocolFields["classifier"] = fields
        return Setup(network: model, reference: reference, precisionRecall: plan.precisionRecall)
    }

    /// The protocol's account of precision/recall against `plan`.
    private func precisionRecallField(_ plan: ReferencePlan, measured: String) -> String {
        if plan.precisionRecall { return measured }
        return command.noPrecisionRecall ? "not measured (--no-precision-recall)" : "not measured: the reference holds statistics only"
    }
}
