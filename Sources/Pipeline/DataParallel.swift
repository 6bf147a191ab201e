import Foundation
import Torch

/// One rank of a data-parallel training job: each step every rank draws the same global batch and the same
/// noise (the data order and the noise are functions of the global step, not of the number of ranks), trains on
/// its own contiguous shard of it, and the gradients are averaged across ranks with allreduce, so that every rank
/// takes the same optimizer and EMA step as one process on the whole batch would.
public final class DataParallel {
    /// The process group (Gloo on the CPU, NCCL on a GPU).
    public let group: ProcessGroup
    /// Gradient buckets of at most this many bytes, each reduced as soon as it is packed.
    public var bucketBytes = ProcessGroup.defaultBucketBytes
    /// The prefix of this job's keys in the group's store.
    public let keyPrefix: String
    /// Seconds the last step waited for its gradient reductions after the backward pass (what overlapping
    /// them with the backward pass did not hide).
    public private(set) var lastAllReduceSeconds = 0.0
    private var averager: GradientAverager?

    /// This process's rank, 0..<worldSize.
    public var rank: Int { group.rank }
    /// The number of ranks.
    public var worldSize: Int { group.size }
    /// Whether this rank writes checkpoints, logs and sample grids (rank 0).
    public var isLeader: Bool { group.rank == 0 }

    /// A data-parallel rank over `group`, keeping its keys in the group's store under `keyPrefix`.
    public init(group: ProcessGroup, keyPrefix: String = "dimr/") {
        self.group = group
        self.keyPrefix = keyPrefix
    }

    /// The images per rank of a global batch of `globalBatch`.
    /// - Throws: `PipelineError` when `globalBatch` is not a multiple of the world size.
    public func perRankBatch(_ globalBatch: Int) throws -> Int {
        guard globalBatch > 0, globalBatch % worldSize == 0 else {
            throw PipelineError("--batch-size \(globalBatch) (the global batch) does not divide among \(worldSize) processes; "
                                + "give a multiple of \(worldSize)")
        }
        return globalBatch / worldSize
    }

    /// The rows of a global batch of `count` that this rank trains on: (start, length).
    public func shard(of count: Int) throws -> (start: Int, length: Int) {
        let per = try perRankBatch(count)
        return (rank * per, per)
    }

    /// The mean over ranks of `loss` (each rank's mean over its shard: equal shards make it the global batch's mean),
    /// and whether any rank asked to stop (Ctrl-C), agreed in one allreduce so that all ranks stop after the same step.
    public func agree(loss: Double, stop: Bool) throws -> (loss: Double, stop: Bool) {
        let values = try Tensor([loss, stop ? 1 : 0])
        try collective("agreeing on the loss") { try group.allReduceSum([values]) }
        let sums = try values.toArray(Double.self)
        return (sums[0] / Double(worldSize), sums[1] > 0)
    }

    /// Averages the gradients of `parameters` (the model's, in the same order on every rank) from now on, in buckets
    /// of `bucketBytes` reduced while the backward pass runs.
    public func track(_ parameters: [Tensor]) throws {
        averager = try GradientAverager(group: group, parameters: parameters, bucketBytes: bucketBytes)
    }

    /// Runs the backward pass of `loss` (this rank's mean loss), leaving every tracked parameter's gradient at its
    /// mean over the ranks: the gradient of the global batch's mean loss, as the shards are equal.
    public func backward(_ loss: Tensor) throws {
        guard let averager else { preconditionFailure("DataParallel.backward before track(_:)") }
        try collective("averaging gradients") {
            lastAllReduceSeconds = try averager.averaging { try loss.backward() }
        }
    }

    /// Copies rank 0's values of `tensors` (the same names, shapes and dtypes on every rank) to every rank,
    /// in the order of their names.
    public func broadcastFromLeader(_ tensors: [String: Tensor]) throws {
        let ordered = tensors.keys.sorted().compactMap { tensors[$0] }
        try collective("broadcasting rank 0's state") { try group.broadcast(ordered, from: 0, bucketBytes: bucketBytes) }
    }

    /// Checks that every rank describes its state by the same `summary` (step, data, random states) as rank 0;
    /// a rank that differs throws, naming itself and both values.
    public func checkSameState(_ summary: String, timeout: Duration) throws {
        let key = "\(keyPrefix)state/\(rank)"
        try group.store.set(key, string: summary)
        try group.barrier()
        guard !isLeader else { return }
        let leader = try group.store.getString("\(keyPrefix)state/0", timeout: timeout)
        guard leader == summary else {
            throw PipelineError("rank \(rank) does not start where rank 0 does (every rank must see the same output folder "
                                + "and data): rank 0 has \(leader), rank \(rank) has \(summary)")
        }
    }

    /// Runs a collective; a failure (a peer that stopped, a timeout) becomes an error naming the ranks that no
    /// longer answer, as far as the store can tell.
    func collective(_ what: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as TorchError {
            throw PipelineError("rank \(rank): \(what) failed: \(lostRanksDescription()) (\(error.message.prefix(300)))")
        }
    }

    /// Which ranks still answer through the store: each survivor of a failed collective signs in under a fresh
    /// round and waits a few seconds for the others.
    func lostRanksDescription() -> String {
        let store = group.store
        guard let round = try? store.add("\(keyPrefix)fault/round/\(rank)", 1) else {
            return "the rendezvous store at \(store.host):\(store.port) no longer answers, so rank 0 (or the launcher) that hosts it stopped"
        }
        _ = try? store.set("\(keyPrefix)fault/\(round)/\(rank)", string: "alive")
        var missing: [Int] = []
        let deadline = Date().addingTimeInterval(5)
        repeat {
            missing = (0..<worldSize).filter { (try? store.contains("\(keyPrefix)fault/\(round)/\($0)")) != true }
            if missing.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.1)
        } while Date() < deadline
        if missing.isEmpty { return "all \(worldSize) ranks still answer; the network between them failed or timed out" }
        let names = missing.map(String.init).joined(separator: ", ")
        return "rank\(missing.count > 1 ? "s" : "") \(names) stopped (no answer within 5 s)"
    }
}
