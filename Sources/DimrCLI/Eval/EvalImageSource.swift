import Torch

/// Images to measure, handed out block by block as uint8 (N, H, W, C) with their labels when known, so that
/// no image set is ever held in memory as floats.
protocol EvalImageSource {
    /// Images in all.
    var count: Int { get }
    /// What the images are, for the printed protocol.
    var description: String { get }
    /// Image (height, width, channels).
    var imageShape: (height: Int, width: Int, channels: Int) { get }
    /// Whether blocks come with labels.
    var hasLabels: Bool { get }
    /// The next block (nil when all were handed out): uint8 (B, H, W, C) and int64 labels (B) when known.
    mutating func next() throws -> (images: Tensor, labels: Tensor?)?
}
