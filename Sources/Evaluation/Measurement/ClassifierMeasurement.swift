import Torch

/// What the Fashion-MNIST classifier metrics need from one image set: feature statistics (float64,
/// streaming), the features (float32, N x 128) for precision and recall, and the accuracy against the
/// images' labels when they have them.
public final class ClassifierMeasurement {
    /// The classifier.
    public let classifier: FashionClassifier
    private var statistics: StatisticsAccumulator
    private var kept: [Tensor] = []
    /// Accuracy against the labels given so far.
    public private(set) var accuracy = ClassAccuracy(classCount: FashionClassifier.classCount)

    /// An empty measurement with `classifier`.
    public init(classifier: FashionClassifier) throws {
        self.classifier = classifier
        statistics = try StatisticsAccumulator(dimension: FashionClassifier.featureDimension)
    }

    /// Adds uint8 images (B, H, W, C) in order, with their labels (B) when known.
    public func add(bytes: Tensor, labels: Tensor?) throws {
        let (features, logits) = try classifier.features(bytes: bytes)
        try statistics.add(features)
        kept.append(try features.to(.float32, device: .cpu))
        if let labels { try accuracy.add(logits: logits, labels: labels) }
    }

    /// Images added.
    public var count: Int { statistics.count }
    /// Feature statistics.
    public func featureStatistics() throws -> FeatureStatistics { try statistics.statistics() }
    /// The features (N, 128) float32.
    public func features() throws -> Tensor {
        guard !kept.isEmpty else { throw EvaluationError("no images were measured") }
        return try Tensor.cat(kept)
    }
}
