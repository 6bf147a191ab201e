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

    /// Reads the arrays of `path` named above (never `arr_0` itself).
    /// - Throws: `ValidationError` naming the file and array when one has the wrong type or shape.
    static func read(_ path: String) throws -> ReferenceFile {
        let names = Set(try NPZArrayStream.arrayNames(path: path))
        func array(_ name: String) throws -> Tensor? {
            guard names.contains(name) else { return nil }
            let stream = try NPZArrayStream(path: path, array: name)
            guard stream.dtype.isFloatingPoint || name == "n" || name == "network" else {
                throw ValidationError("\(path): \(name) must hold floating-point numbers, it is \(stream.dtype)")
            }
            return try stream.next(maxRows: max(1, stream.shape.first ?? 1)) ?? Tensor.zeros(stream.shape, dtype: stream.dtype)
        }
        var file = ReferenceFile()
        file.hasImages = names.contains("arr_0")
        func statistics(_ mean: String, _ covariance: String) throws -> FeatureStatistics? {
            guard let mu = try array(mean), let sigma = try array(covariance) else { return nil }
            do {
                return try FeatureStatistics(mean: mu, covariance: sigma)
            } catch let error as EvaluationError {
                throw ValidationError("\(path): \(mean)/\(covariance): \(error.message)")
            }
        }
        file.statistics = try statistics("mu", "sigma")
        file.spatial = try statistics("mu_s", "sigma_s")
        file.features = try array("features")
        if let n = try array("n"), n.count == 1 { file.count = try n.to(.int64).itemInt() }
        if let text = try array("network"), text.dtype == .uint8 { file.network = String(decoding: try text.toArray(UInt8.self), as: UTF8.self) }
        if let features = file.features, let stats = file.statistics, features.rank != 2 || features.size(1) != stats.dimension {
            throw ValidationError("\(path): features \(features.shape) do not match the \(stats.dimension)-d statistics")
        }
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
