import Torch

/// Everything the FID Inception-v3 metrics need from one image set, gathered batch by batch: pool3 and
/// spatial statistics (float64, streaming), the Inception Score's per-split sums, and the pool3 features
/// themselves (float32, N x 2048: 400 MB for 50,000 images) for precision and recall.
public final class InceptionMeasurement {
    /// The network.
    public let network: FIDInceptionV3
    /// Whether pool3 features are kept for precision/recall.
    public let keepsPoolFeatures: Bool
    private var pool: StatisticsAccumulator
    private var spatial: StatisticsAccumulator
    private var score: InceptionScore
    private var poolFeatures: [Tensor] = []

    /// An empty measurement with `network`.
    public init(network: FIDInceptionV3, keepPoolFeatures: Bool = true) throws {
        self.network = network
        keepsPoolFeatures = keepPoolFeatures
        pool = try StatisticsAccumulator(dimension: FIDInceptionV3.poolDimension)
        spatial = try StatisticsAccumulator(dimension: FIDInceptionV3.spatialDimension)
        score = try InceptionScore(classCount: FIDInceptionV3.logitCount)
    }

    /// Adds uint8 images (B, H, W, C), C = 1 or 3, in order.
    public func add(bytes: Tensor) throws {
        let features = try network.features(bytes: bytes)
        try pool.add(features.pool)
        try spatial.add(features.spatial)
        try score.add(logits: features.logits)
        if keepsPoolFeatures { poolFeatures.append(try features.pool.to(.float32, device: .cpu)) }
    }

    /// Images added.
    public var count: Int { pool.count }
    /// pool3 statistics (the FID's).
    public func poolStatistics() throws -> FeatureStatistics { try pool.statistics() }
    /// Spatial statistics (the sFID's).
    public func spatialStatistics() throws -> FeatureStatistics { try spatial.statistics() }
    /// The Inception Score in the ADM suite's 5000-image splits.
    public func inceptionScore() throws -> InceptionScoreResult { try score.result() }
    /// The pool3 features (N, 2048) float32, when kept.
    public func features() throws -> Tensor? { keepsPoolFeatures && !poolFeatures.isEmpty ? try Tensor.cat(poolFeatures) : nil }
}
