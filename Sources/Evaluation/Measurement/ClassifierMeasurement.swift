import Torch

/// What the Fashion-MNIST classifier metrics need from one image set: feature statistics (float64,
/// streaming), the features (float32, N x 128) for precision and recall when kept, and the accuracy against
/// the images' labels when they have them.
public final class ClassifierMeasurement {
    /// The classifier.
    public let classifier: FashionClassifier
    /// Whether the features are kept for precision/recall.
    public let keepsFeatures: Bool
    private var statistics: StatisticsAccumulator
    private var kept: [Tensor] = []
    /// Accuracy against the labels given so far.
    public private(set) var accuracy = ClassAccuracy(classCount: FashionClassifier.classCount)

    /// An empty measurement with `classifier`; `keepFeatures` false keeps only the statistics (no precision/recall).
    public init(classifier: FashionClassifier, keepFeatures: Bool = true) throws {
        self.classifier = classifier
        keepsFeatures = keepFeatures
        statistics = try StatisticsAccumulator(dimension: FashionClassifier.featureDimension)
    }

    /// Adds uint8 images (B, H, W, C) in order, with their labels (B) when known.
    public func add(bytes: Tensor, labels: Tensor?) throws {
        let (features, logits) = try classifier.features(bytes: bytes)
        try statistics.add(features)
        if keepsFeatures { kept.append(try features.to(.float32, device: .cpu)) }
        if let labels { try accuracy.add(logits: logits, labels: labels) }
    }

    /// Images added.
    public var count: Int { statistics.count }
    /// Feature statistics.
    public func featureStatistics() throws -> FeatureStatistics { try statistics.statistics() }
    /// The features (N, 128) float32.
    /// - Throws: `EvaluationError` when they were not kept or no image was added.
    public func features() throws -> Tensor {
        guard keepsFeatures else { throw EvaluationError("the classifier features were not kept (keepFeatures: false)") }
        guard !kept.isEmpty else { throw EvaluationError("no images were measured") }
        return try Tensor.cat(kept)
    }
}
