/// Improved precision and recall of a sample set against a reference set.
public struct PrecisionRecallResult: Sendable, Equatable {
    /// Fraction of samples inside the reference manifold.
    public let precision: Double
    /// Fraction of reference points inside the sample manifold.
    public let recall: Double
    /// Neighbourhood size k.
    public let neighbours: Int
    /// Reference points.
    public let referenceCount: Int
    /// Samples.
    public let sampleCount: Int
}
