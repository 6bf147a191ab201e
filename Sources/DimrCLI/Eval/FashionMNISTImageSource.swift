import Datasets
import Foundation
import Torch

/// A Fashion-MNIST split as uint8 32x32 gray images (padded as `dimr train` sees them) with their labels,
/// optionally shuffled (a baseline: real images whose labels say nothing).
struct FashionMNISTImageSource: EvalImageSource {
    let split: FashionMNIST.Split
    let count: Int
    let shuffledLabels: Bool
    let blockSize: Int
    private let bytes: Tensor
    private let labels: Tensor
    private var handedOut = 0

    /// Reads `split` (first `limit` images); with `shuffleSeed` the labels are permuted by `torch.randperm`.
    init(split: FashionMNIST.Split, directory: String?, limit: Int? = nil, shuffleSeed: UInt64? = nil, blockSize: Int = 500) throws {
        let data = try FashionMNIST(split: split, directory: directory)
        self.split = split
        count = min(data.count, limit ?? data.count)
        bytes = try ImageConversion.toUInt8NHWC(data.images.narrow(dim: 0, start: 0, length: count))
        var labels = try data.labels.narrow(dim: 0, start: 0, length: count)
        if let shuffleSeed {
            labels = try labels.indexSelect(dim: 0, index: Tensor.randperm(count, generator: Generator(seed: shuffleSeed)))
        }
        self.labels = labels
        shuffledLabels = shuffleSeed != nil
        self.blockSize = blockSize
    }

    var description: String {
        "Fashion-MNIST \(split.rawValue) images (\(count), padded to 32x32)\(shuffledLabels ? " with shuffled labels" : "")"
    }
    var imageShape: (height: Int, width: Int, channels: Int) { (32, 32, 1) }
    var hasLabels: Bool { true }

    mutating func next() throws -> (images: Tensor, labels: Tensor?)? {
        guard handedOut < count else { return nil }
        let rows = min(blockSize, count - handedOut)
        defer { handedOut += rows }
        return (try bytes.narrow(dim: 0, start: handedOut, length: rows), try labels.narrow(dim: 0, start: handedOut, length: rows))
    }
}
