import Torch

/// Classification accuracy overall and per class, accumulated batch by batch.
public struct ClassAccuracy: Sendable, Equatable {
    /// Number of classes.
    public let classCount: Int
    /// Images of each class seen.
    public private(set) var totals: [Int]
    /// Images of each class predicted as that class.
    public private(set) var correct: [Int]

    /// An empty tally for `classCount` classes.
    public init(classCount: Int) {
        precondition(classCount >= 1, "accuracy needs at least one class")
        self.classCount = classCount
        totals = Array(repeating: 0, count: classCount)
        correct = Array(repeating: 0, count: classCount)
    }

    /// Counts logits (B, C) against the requested or true labels (B).
    /// - Throws: `EvaluationError` for mismatched shapes or a label outside 0..<C.
    public mutating func add(logits: Tensor, labels: Tensor) throws {
        guard logits.rank == 2, logits.size(1) == classCount, labels.rank == 1, labels.size(0) == logits.size(0) else {
            throw EvaluationError("accuracy needs logits (B, \(classCount)) and labels (B), got \(logits.shape) and \(labels.shape)")
        }
        let predicted = try logits.argmax(dim: 1).to(.int64, device: .cpu).toArray(Int64.self)
        let truth = try labels.to(.int64, device: .cpu).toArray(Int64.self)
        for (p, t) in zip(predicted, truth) {
            guard t >= 0, t < classCount else { throw EvaluationError("label \(t) is not a class in 0..<\(classCount)") }
            totals[Int(t)] += 1
            if p == t { correct[Int(t)] += 1 }
        }
    }

    /// Images counted.
    public var count: Int { totals.reduce(0, +) }
    /// Fraction of all images classified as their label (0 when none).
    public var overall: Double { count > 0 ? Double(correct.reduce(0, +)) / Double(count) : 0 }
    /// Fraction per class (nil for a class with no images).
    public var perClass: [Double?] { zip(correct, totals).map { $1 > 0 ? Double($0) / Double($1) : nil } }
}
