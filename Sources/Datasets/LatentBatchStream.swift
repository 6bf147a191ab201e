import Foundation
import Torch

/// Batches of encoder moments streamed from a latent folder, shard by shard, epoch after epoch.
///
/// Epoch e visits the shards in an order drawn from (seed, e) and the images of each shard in an order
/// drawn from (seed, e, shard); each image gives the moments of itself or of its flip with
/// probability 1/2, drawn from the stream's generator. Only the shard being read is in memory (its
/// file mapped). `currentState()` / `restore(_:)` continue with exactly the batches that would have
/// come next.
public final class LatentBatchStream {
    /// The folder's index.
    public let index: LatentIndex
    /// Images per batch.
    public let batchSize: Int
    private let folder: String
    private let seed: UInt64
    private let generator: Generator
    private var epoch = 0
    /// Images consumed in the current epoch.
    private var consumed = 0
    private var shardOrder: [Int] = []
    private var open: (position: Int, rows: [Int], moments: Tensor, labels: Tensor)?

    /// Opens `folder` for batches of `batchSize`, shuffled from `seed`.
    ///
    /// - Throws: `DatasetError` when the folder has no valid index, its extraction is unfinished (interrupted,
    ///   failed or still running: the message says how to finish it), it holds no extracted shard, or `batchSize` < 1.
    public init(folder: String, batchSize: Int, seed: UInt64) throws {
        index = try LatentIndex.read(folder: folder)
        guard index.isComplete else { throw DatasetError(index.unfinishedMessage(folder: folder)) }
        guard index.extracted > 0 else { throw DatasetError("latent folder \(folder) holds no extracted shards yet") }
        guard batchSize >= 1 else { throw DatasetError("batch size must be at least 1, got \(batchSize)") }
        self.folder = folder
        self.batchSize = batchSize
        self.seed = seed
        generator = try Generator(seed: seed)
        shardOrder = try Self.permutation(index.shards.count, seed: seed, epoch: 0, shard: -1)
    }

    /// Moments (B, 2C, h, w) and labels (B) of the next batch; a batch that reaches the end of an
    /// epoch is completed from the next one.
    public func next() throws -> (moments: Tensor, labels: Tensor) {
        var moments: [Tensor] = [], labels: [Tensor] = []
        var remaining = batchSize
        while remaining > 0 {
            let (position, row) = locate(consumed)
            let shard = try openShard(at: position)
            let take = min(remaining, shard.rows.count - row)
            let picked = try Tensor(shard.rows[row..<(row + take)].map(Int64.init))
            let chosen = try shard.moments.indexSelect(dim: 0, index: picked)            // (take, 2, 2C, h, w)
            let flips = try (Tensor.rand([take], generator: generator) .< 0.5).to(.int64)  // 1 = the flipped image
            let selector = try flips.reshape([take, 1, 1, 1, 1]).expand([take, 1] + index.momentsShape)
            moments.append(try chosen.gather(dim: 1, index: selector).squeeze(1))       // (take, 2C, h, w)
            labels.append(try shard.labels.indexSelect(dim: 0, index: picked))
            remaining -= take
            consumed += take
            if consumed == index.extracted {
                epoch += 1
                consumed = 0
                shardOrder = try Self.permutation(index.shards.count, seed: seed, epoch: epoch, shard: -1)
                open = nil
            }
        }
        return (try Tensor.cat(moments, dim: 0), try Tensor.cat(labels, dim: 0))
    }

    /// Standard normal noise of `shape` from the stream's generator (for posterior samples of the
    /// moments, which then resume exactly with the stream).
    public func normal(_ shape: [Int]) throws -> Tensor { try Tensor.randn(shape, generator: generator) }

    /// Where the stream stands (for a training checkpoint): epoch, images consumed in it, generator.
    public func currentState() throws -> DataLoaderState {
        let state = Data(try generator.state().toArray(UInt8.self))
        return DataLoaderState(epoch: epoch, index: consumed, epochGenerator: state, generator: state)
    }

    /// Continues from a saved state.
    ///
    /// - Throws: `DatasetError` when the state does not fit this folder.
    public func restore(_ saved: DataLoaderState) throws {
        guard saved.epoch >= 0, saved.index >= 0, saved.index < index.extracted else {
            throw DatasetError("the saved latent stream position (epoch \(saved.epoch), image \(saved.index)) does not fit"
                               + " \(folder), which holds \(index.extracted) images")
        }
        try generator.setState(Tensor([UInt8](saved.generator)))
        epoch = saved.epoch
        consumed = saved.index
        shardOrder = try Self.permutation(index.shards.count, seed: seed, epoch: epoch, shard: -1)
        open = nil
    }

    /// The position in the shard order and the row in that shard of image `consumed` of the epoch.
    private func locate(_ consumed: Int) -> (position: Int, row: Int) {
        var start = 0
        for (position, shard) in shardOrder.enumerated() {
            let count = index.shards[shard].count
            if consumed < start + count { return (position, consumed - start) }
            start += count
        }
        return (shardOrder.count - 1, 0)   // unreachable: consumed < extracted
    }

    /// The shard at `position` of the epoch's order, mapped, with its row order.
    private func openShard(at position: Int) throws -> (rows: [Int], moments: Tensor, labels: Tensor) {
        if let open, open.position == position { return (open.rows, open.moments, open.labels) }
        let number = shardOrder[position]
        let shard = index.shards[number]
        let path = (folder as NSString).appendingPathComponent(shard.file)
        let file = try SafeTensorsFile(path: path)
        let moments = try file.tensor("moments"), labels = try file.tensor("labels").to(.int64)
        guard moments.shape == [shard.count, 2] + index.momentsShape, labels.shape == [shard.count] else {
            throw DatasetError("\(path): moments \(moments.shape) and labels \(labels.shape) do not match the index"
                               + " (\(shard.count) images of \(index.momentsShape))")
        }
        if shard.count > 0 {
            let low = try labels.min().itemInt(), high = try labels.max().itemInt()
            guard low >= 0, high < index.classes.count else {
                throw DatasetError("\(path): labels range over \(low)...\(high), outside the index's \(index.classes.count) classes 0...\(index.classes.count - 1)")
            }
            guard try moments.isFinite().all().itemInt() == 1 else {
                throw DatasetError("\(path): the moments hold NaN or infinite values")
            }
        }
        let rows = try Self.permutation(shard.count, seed: seed, epoch: epoch, shard: number)
        open = (position, rows, moments, labels)
        return (rows, moments, labels)
    }

    /// A permutation of 0..<n drawn from a generator seeded by (seed, epoch, shard).
    private static func permutation(_ n: Int, seed: UInt64, epoch: Int, shard: Int) throws -> [Int] {
        var mixed = seed ^ 0x9E37_79B9_7F4A_7C15
        for value in [UInt64(truncatingIfNeeded: epoch), UInt64(truncatingIfNeeded: shard)] {
            mixed = (mixed ^ value) &* 0xBF58_476D_1CE4_E5B9
            mixed ^= mixed >> 31
        }
        return try Tensor.randperm(n, generator: Generator(seed: mixed)).toArray(Int64.self).map { Int($0) }
    }
}
