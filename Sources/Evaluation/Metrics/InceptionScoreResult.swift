/// An Inception Score with its splits.
public struct InceptionScoreResult: Sendable, Equatable {
    /// The mean of the split scores: the number the ADM evaluator prints.
    public let mean: Double
    /// The standard deviation of the split scores (NumPy's `std`, population).
    public let standardDeviation: Double
    /// The score of each split, in input order.
    public let splitScores: [Double]
    /// Images per split (the last one may hold fewer).
    public let splitSize: Int
    /// Images scored.
    public let count: Int
}
