import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Torch

/// Reference statistics in an `.npz`: the ADM suite's names `mu`, `sigma` (pool3 or classifier features)
/// and `mu_s`, `sigma_s` (spatial), as its reference batches and the authors' `fid_stats_*.npz` files hold
/// them; `dimr eval-ref` adds `features` (float32, N x D, for precision/recall), `n` and `network` (the
/// feature network's name as UTF-8 bytes).
struct ReferenceFile {
    /// Feature statistics (`mu`, `sigma`), when present.
    var statistics: FeatureStatistics?
    /// Spatial statistics (`mu_s`, `sigma_s`), when present.
    var spatial: FeatureStatistics?
    /// Reference features (`features`), when present.
    var features: Tensor?
    /// Images the statistics came from (`n`), when recorded.
    var count: Int?
    /// The network that made them (`network`), when recorded.
    var network: String?
    /// Whether the archive holds images (`arr_0`), from which what is missing can be computed.
    var hasImages = false

    /// The dimensions a feature network's reference arrays must have.
    struct Dimensions {
        /// Entries of `mu` (and columns of `features`).
        let features: Int
        /// Entries of `mu_s`, when the network has spatial features.
        let spatial: Int?
        /// The features' name in messages ("the classifier's features").
        let what: String
    }

    /// Reads the arrays of `path` named above (never `arr_0` itself) and checks them, so that a bad reference
    /// is refused when read, before any image is made or measured.
    /// - Throws: `ValidationError` naming `option`, the file and the array: a wrong type or shape, NaN or
    ///   infinite values, a covariance that is not symmetric, or a dimension other than `dimensions` says.
    static func read(_ path: String, option: String, dimensions: Dimensions) throws -> ReferenceFile {
        let names = Set(try NPZArrayStream.arrayNames(path: path))
        func fail(_ text: String) -> ValidationError { ValidationError("\(option) \(path): \(text)") }
        func array(_ name: String) throws -> Tensor? {
            guard names.contains(name) else { return nil }
            let stream = try NPZArrayStream(path: path, array: name)
            let numeric = name == "n" || name == "network"
            guard stream.dtype.isFloatingPoint || numeric else { throw fail("\(name) must hold floating-point numbers, it is \(stream.dtype)") }
            let tensor = try stream.next(maxRows: max(1, stream.shape.first ?? 1)) ?? Tensor.zeros(stream.shape, dtype: stream.dtype)
            if !numeric, tensor.count > 0, try tensor.isFinite().all().item() == 0 { throw fail("\(name) holds NaN or infinite values") }
            return tensor
        }
        var file = ReferenceFile()
        file.hasImages = names.contains("arr_0")
        func statistics(_ mean: String, _ covariance: String, dimension: Int) throws -> FeatureStatistics? {
            let mu = try array(mean), sigma = try array(covariance)
            guard let mu, let sigma else {
                if mu != nil || sigma != nil { throw fail("holds \(mu != nil ? mean : covariance) without \(mu != nil ? covariance : mean)") }
                return nil
            }
            guard mu.shape == [dimension], sigma.shape == [dimension, dimension] else {
                throw fail("\(mean) \(mu.shape) and \(covariance) \(sigma.shape) are not statistics of \(dimensions.what) "
                           + "(\(mean) [\(dimension)], \(covariance) [\(dimension), \(dimension)])")
            }
            do {
                let stats = try FeatureStatistics(mean: mu, covariance: sigma)
                try stats.checkComparable()
                return stats
            } catch let error as EvaluationError {
                throw fail("\(error.message.contains("covariance") ? covariance : mean): \(error.message)")
            }
        }
        file.statistics = try statistics("mu", "sigma", dimension: dimensions.features)
        if let spatial = dimensions.spatial {
            file.spatial = try statistics("mu_s", "sigma_s", dimension: spatial)
        }
        file.features = try array("features")
        if let features = file.features, features.rank != 2 || features.size(1) != dimensions.features {
            throw fail("features \(features.shape) are not \(dimensions.what) (N, \(dimensions.features))")
        }
        if let n = try array("n"), n.count == 1 { file.count = try n.to(.int64).itemInt() }
        if let text = try array("network"), text.dtype == .uint8 { file.network = String(decoding: try text.toArray(UInt8.self), as: UTF8.self) }
        return file
    }

    /// Writes statistics, optional spatial statistics and features, the count and the network name, atomically.
    static func write(to path: String, statistics: FeatureStatistics, spatial: FeatureStatistics?, features: Tensor?,
                      count: Int, network: String) throws {
        var arrays: [(name: String, tensor: Tensor)] = [("mu", statistics.mean), ("sigma", statistics.covariance)]
        if let spatial { arrays += [("mu_s", spatial.mean), ("sigma_s", spatial.covariance)] }
        if let features { arrays.append(("features", try features.to(.float32))) }
        arrays.append(("n", try Tensor([Int64(count)])))
        arrays.append(("network", try Tensor(Array(network.utf8))))
        try NPZ.write(arrays, to: path)
    }
}
