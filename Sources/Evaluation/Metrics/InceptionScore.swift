import Foundation
import Torch

/// The Inception Score exp(E_x KL(p(y|x) ‖ p(y))) as the ADM evaluator computes it, accumulated batch by batch.
///
/// Splits as the ADM suite makes them: consecutive chunks of `splitSize` = 5000 images in input order (10
/// splits for 50,000 images; the last split is shorter when N is not a multiple), a score per split with
/// p(y) the split's mean prediction, and the mean of the split scores reported (the standard deviation
/// too). p(y|x) is the softmax of the logits, taken here in float64 (`log_softmax`, so no probability
/// underflows to a NaN). Only per-split sums are kept: memory does not grow with N.
public struct InceptionScore {
    /// Images per split (the ADM suite's 5000).
    public let splitSize: Int
    /// Number of classes of the logits.
    public let classCount: Int
    /// Images added.
    public private(set) var count = 0
    private var scores: [Double] = []
    private var open = 0
    private var entropySum = 0.0            // Σ_x Σ_y p log p over the open split
    private var marginal: Tensor            // Σ_x p(y|x) over the open split (C), float64

    /// An empty accumulator for logits of `classCount` classes.
    public init(classCount: Int, splitSize: Int = 5000) throws {
        guard classCount >= 2, splitSize >= 1 else {
            throw EvaluationError("the Inception Score needs at least 2 classes and a split size of at least 1")
        }
        self.classCount = classCount
        self.splitSize = splitSize
        marginal = try Tensor.zeros([classCount], dtype: .float64)
    }

    /// Adds logits (B, C) in input order.
    public mutating func add(logits: Tensor) throws {
        guard logits.rank == 2, logits.size(1) == classCount else {
            throw EvaluationError("expected logits (B, \(classCount)), got \(logits.shape)")
        }
        let logP = try logits.to(.float64, device: .cpu).logSoftmax(dim: 1)      // (B, C)
        guard try logP.isFinite().all().item() != 0 else { throw EvaluationError("logits hold NaN or infinite values") }
        var start = 0
        while start < logP.size(0) {
            let take = min(splitSize - open, logP.size(0) - start)
            let part = try logP.narrow(dim: 0, start: start, length: take)
            let p = try part.exp()
            entropySum += try (p * part).sum().item()
            marginal = try marginal + p.sum(dims: [0])
            open += take
            count += take
            start += take
            if open == splitSize { try closeSplit() }
        }
    }

    /// Scores the open split: KL = (Σ p log p - Σ_y m_y log(m_y / n)) / n with m the summed predictions.
    private mutating func closeSplit() throws {
        guard open > 0 else { return }
        let n = Double(open)
        let m = try marginal.clamp(min: Double.leastNormalMagnitude)
        let cross = try (marginal * (m / n).log()).sum().item()
        scores.append(exp((entropySum - cross) / n))
        open = 0
        entropySum = 0
        marginal = try Tensor.zeros([classCount], dtype: .float64)
    }

    /// The score of every split so far (the open, shorter one included) and their mean and standard deviation.
    public func result() throws -> InceptionScoreResult {
        var copy = self
        try copy.closeSplit()
        guard !copy.scores.isEmpty else { throw EvaluationError("the Inception Score needs at least one image") }
        let mean = copy.scores.reduce(0, +) / Double(copy.scores.count)
        let variance = copy.scores.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(copy.scores.count)
        return InceptionScoreResult(mean: mean, standardDeviation: variance.squareRoot(), splitScores: copy.scores,
                                    splitSize: splitSize, count: count)
    }
}
