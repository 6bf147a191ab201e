/// One epoch of classifier training.
public struct ClassifierEpoch: Sendable, Equatable, Codable {
    /// Epoch number, from 1.
    public let epoch: Int
    /// Mean training loss over the epoch's steps.
    public let trainLoss: Double
    /// Accuracy on the test images after the epoch.
    public let testAccuracy: Double
    /// Wall time of the epoch in seconds (with the test pass).
    public let seconds: Double
}
