import Torch

/// Improved precision and recall (Kynkäänniemi et al., 2019) as the ADM evaluator computes them.
///
/// Each set's manifold is the union of balls around its points whose squared radius is the squared
/// distance to the k-th nearest other point of the set (k = 3; ADM takes index k of the sorted distances,
/// index 0 being the point itself). Precision is the fraction of samples inside some reference ball,
/// recall the fraction of reference points inside some sample ball, a point on a sphere counting as inside
/// (`<=`). Distances are computed in float64 (ADM computes them in float16 when that stays finite), in
/// blocks of at most `blockElements` distances, so memory does not grow with N².
public enum PrecisionRecall {
    /// The neighbourhood size of the ADM evaluator.
    public static let defaultNeighbours = 3
    /// Largest number of distances held at once (32 Mi float64 values, 256 MiB).
    public static let defaultBlockElements = 1 << 25

    /// Precision and recall of `samples` (N₂, D) against `reference` (N₁, D); both sets need more than `k` points.
    /// - Throws: `EvaluationError` for mismatched shapes, too few points or non-finite features.
    public static func compute(reference: Tensor, samples: Tensor, k: Int = defaultNeighbours,
                               blockElements: Int = defaultBlockElements) throws -> PrecisionRecallResult {
        guard reference.rank == 2, samples.rank == 2, reference.size(1) == samples.size(1) else {
            throw EvaluationError("precision/recall needs two feature sets (N, D) of one D, got \(reference.shape) and \(samples.shape)")
        }
        let ref = try reference.to(.float64).contiguous()
        let gen = try samples.to(.float64).contiguous()
        let refRadii = try radii(ref, k: k, blockElements: blockElements)
        let genRadii = try radii(gen, k: k, blockElements: blockElements)
        let refNorms = try (ref * ref).sum(dims: [1])
        let genNorms = try (gen * gen).sum(dims: [1])
        var samplesInside: [Tensor] = []
        var referenceInside = try Tensor.zeros([ref.size(0)], dtype: .bool, device: ref.device)
        let rows = max(1, blockElements / max(1, ref.size(0)))
        var start = 0
        while start < gen.size(0) {
            let count = min(rows, gen.size(0) - start)
            let block = try gen.narrow(dim: 0, start: start, length: count)
            let d = try squaredDistances(block, try genNorms.narrow(dim: 0, start: start, length: count), ref, refNorms)
            // (count, N₁): sample i inside reference ball j, and reference j inside sample ball i.
            let inReference = try (d .<= refRadii.unsqueeze(0)).any(dims: [1])
            let blockRadii = try genRadii.narrow(dim: 0, start: start, length: count)
            let coversReference = try (d .<= blockRadii.unsqueeze(1)).any(dims: [0])
            samplesInside.append(inReference)
            referenceInside = try referenceInside.logicalOr(coversReference)
            start += count
        }
        let precision = try Tensor.cat(samplesInside).to(.float64).mean().item()
        let recall = try referenceInside.to(.float64).mean().item()
        return PrecisionRecallResult(precision: precision, recall: recall, neighbours: k,
                                     referenceCount: ref.size(0), sampleCount: gen.size(0))
    }

    /// The squared radius of each point's ball: the squared distance to its k-th nearest other point (N).
    public static func radii(_ features: Tensor, k: Int = defaultNeighbours, blockElements: Int = defaultBlockElements) throws -> Tensor {
        guard k >= 1 else { throw EvaluationError("the neighbourhood size k must be at least 1, got \(k)") }
        guard features.rank == 2, features.size(0) > k else {
            throw EvaluationError("a manifold with k = \(k) needs more than \(k) feature vectors (N, D), got \(features.shape)")
        }
        let x = try features.to(.float64).contiguous()
        guard try x.isFinite().all().item() != 0 else { throw EvaluationError("features hold NaN or infinite values") }
        let norms = try (x * x).sum(dims: [1])
        let rows = max(1, blockElements / x.size(0))
        var parts: [Tensor] = []
        var start = 0
        while start < x.size(0) {
            let count = min(rows, x.size(0) - start)
            let d = try squaredDistances(x.narrow(dim: 0, start: start, length: count),
                                         norms.narrow(dim: 0, start: start, length: count), x, norms)
            parts.append(try d.kthValue(k + 1, dim: 1).values)                     // index k of the sorted row
            start += count
        }
        return try Tensor.cat(parts)
    }

    /// max(|u|² - 2 u·v + |v|², 0) for rows u of `a` and v of `b`, as the ADM evaluator computes them.
    static func squaredDistances(_ a: Tensor, _ aNorms: Tensor, _ b: Tensor, _ bNorms: Tensor) throws -> Tensor {
        let cross = try a.matmul(b.transpose(0, 1))                                 // (Na, Nb)
        return try (aNorms.unsqueeze(1) - cross * 2 + bNorms.unsqueeze(0)).clamp(min: 0)
    }
}
