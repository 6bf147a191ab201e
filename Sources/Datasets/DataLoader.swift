import Foundation
import Torch

/// One batch of images and their labels.
public struct Batch: Sendable {
    /// Images (B, C, H, W).
    public let images: Tensor
    /// Labels (B) int64.
    public let labels: Tensor

    /// A batch of `images` and their `labels`.
    public init(images: Tensor, labels: Tensor) {
        self.images = images
        self.labels = labels
    }
}

/// Where a `DataLoader` stands: enough to continue with exactly the batches it would have given next.
public struct DataLoaderState: Codable, Equatable, Sendable {
    /// Epochs completed.
    public var epoch: Int
    /// Batches already given in the current epoch.
    public var index: Int
    /// Generator state when the current epoch began (its permutation is redrawn from it).
    public var epochGenerator: Data
    /// Generator state now.
    public var generator: Data

    /// The state as tensors, for a safetensors checkpoint (keys prefixed with `prefix`).
    public func tensors(prefix: String = "loader.") throws -> [String: Tensor] {
        [prefix + "epoch": try Tensor([Int64(epoch)]),
         prefix + "index": try Tensor([Int64(index)]),
         prefix + "epoch_generator": try Tensor([UInt8](epochGenerator)),
         prefix + "generator": try Tensor([UInt8](generator))]
    }

    /// A state read back from `tensors(prefix:)`.
    public init(tensors: [String: Tensor], prefix: String = "loader.") throws {
        func get(_ key: String) throws -> Tensor {
            guard let t = tensors[prefix + key] else { throw DatasetError("checkpoint has no data-loader entry \(prefix + key)") }
            return t
        }
        epoch = try get("epoch").to(.int64).itemInt()
        index = try get("index").to(.int64).itemInt()
        epochGenerator = Data(try get("epoch_generator").to(.uint8).toArray(UInt8.self))
        generator = Data(try get("generator").to(.uint8).toArray(UInt8.self))
    }

    /// A state from its parts.
    public init(epoch: Int, index: Int, epochGenerator: Data, generator: Data) {
        self.epoch = epoch
        self.index = index
        self.epochGenerator = epochGenerator
        self.generator = generator
    }
}

/// Batches over an in-memory labeled data set, endlessly, epoch after epoch, with seeded shuffling and flips.
///
/// Each epoch draws a permutation with `Tensor.randperm` from the loader's own CPU generator; flips
/// draw one uniform number per image from the same generator. `state()` / `restore(_:)` resume exactly.
/// The data may live on any device; batches come from the device of `images`.
public final class DataLoader {
    /// All images (N, ...), indexed along the first dimension.
    public let images: Tensor
    /// All labels (N).
    public let labels: Tensor
    /// Images per batch.
    public let batchSize: Int
    /// Whether each epoch visits the images in a fresh random order.
    public let shuffle: Bool
    /// Whether the last, smaller batch of an epoch is skipped.
    public let dropLast: Bool
    /// Whether each image is mirrored left-right with probability 1/2.
    public let randomFlip: Bool
    /// Epochs completed.
    public private(set) var epoch = 0
    /// Batches already given in the current epoch.
    public private(set) var index = 0

    private let generator: Generator
    private var order: Tensor?
    private var epochGeneratorState: Tensor?

    /// A loader over `images` (N, C, H, W) and `labels` (N), seeded with `seed`.
    public init(images: Tensor, labels: Tensor, batchSize: Int, shuffle: Bool = true, dropLast: Bool = true,
                randomFlip: Bool = false, seed: UInt64 = 0) throws {
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        guard images.rank >= 1, labels.rank == 1, images.size(0) == labels.size(0) else {
            throw DatasetError("images \(images.shape) and labels \(labels.shape) do not have the same number of items")
        }
        guard !randomFlip || images.rank == 4 else {
            throw DatasetError("random flips need images of shape (N, C, H, W), got \(images.shape)")
        }
        guard images.size(0) >= (dropLast ? batchSize : 1) else {
            throw DatasetError("\(images.size(0)) images cannot fill one batch of \(batchSize) (drop-last is on)")
        }
        self.images = images
        self.labels = labels
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.randomFlip = randomFlip
        generator = try Generator(seed: seed)
    }

    /// Number of items.
    public var count: Int { images.size(0) }

    /// Batches in one epoch.
    public var batchesPerEpoch: Int { dropLast ? count / batchSize : (count + batchSize - 1) / batchSize }

    /// The next batch, beginning a new epoch (with a new order) once the current one is used up.
    public func next() throws -> Batch {
        let order = try currentOrder()
        let start = index * batchSize
        let picked = try order.narrow(dim: 0, start: start, length: Swift.min(batchSize, count - start))
            .to(device: images.device)
        var batchImages = try images.indexSelect(dim: 0, index: picked)
        let batchLabels = try labels.indexSelect(dim: 0, index: picked.to(device: labels.device))
        if randomFlip {
            let flip = try (Tensor.rand([picked.size(0)], generator: generator) .< 0.5).reshape([-1, 1, 1, 1])
                .to(device: images.device)
            batchImages = try `where`(flip, batchImages.flip([3]), batchImages)
        }
        index += 1
        if index == batchesPerEpoch {
            epoch += 1
            index = 0
            self.order = nil
            epochGeneratorState = nil
        }
        return Batch(images: batchImages, labels: batchLabels)
    }

    /// The batches of the current epoch that remain (all of them at an epoch's start).
    public func remainingBatchesOfEpoch() throws -> [Batch] {
        let startEpoch = epoch
        var batches: [Batch] = []
        while epoch == startEpoch { batches.append(try next()) }
        return batches
    }

    /// The position and generator states, to resume with `restore(_:)`.
    public func state() throws -> DataLoaderState {
        let now = Data(try generator.state().toArray(UInt8.self))
        let atEpochStart = try epochGeneratorState.map { Data(try $0.toArray(UInt8.self)) } ?? now
        return DataLoaderState(epoch: epoch, index: index, epochGenerator: atEpochStart, generator: now)
    }

    /// Continues from a saved state: the following batches are those the saved loader would have given.
    public func restore(_ state: DataLoaderState) throws {
        guard state.epoch >= 0, state.index >= 0, state.index < batchesPerEpoch else {
            throw DatasetError("data-loader state (epoch \(state.epoch), batch \(state.index)) does not fit \(batchesPerEpoch) batches per epoch")
        }
        order = nil
        epochGeneratorState = nil
        do {
            if state.index > 0 {
                try generator.setState(Tensor([UInt8](state.epochGenerator)))
                index = 0
                _ = try currentOrder()
            }
            try generator.setState(Tensor([UInt8](state.generator)))
        } catch let error as TorchError {
            throw DatasetError("invalid data-loader generator state: \(error.message)")
        }
        epoch = state.epoch
        index = state.index
    }

    /// The current epoch's order, drawn when the epoch begins.
    private func currentOrder() throws -> Tensor {
        if let order { return order }
        epochGeneratorState = try generator.state()
        let drawn = shuffle ? try Tensor.randperm(count, generator: generator) : try Tensor.arange(0, Double(count))
        order = drawn
        return drawn
    }
}
