import Foundation
import Torch

/// Where a process stands in a distributed job, read from the variables torchrun and Slurm wrappers set:
/// `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT`.
public struct DistributedEnvironment: Sendable, Equatable {
    /// This process's rank, 0..<worldSize.
    public var rank: Int
    /// The number of processes.
    public var worldSize: Int
    /// The rank on this machine.
    public var localRank: Int
    /// The host of the rendezvous store (rank 0's machine).
    public var masterAddress: String
    /// The port of the rendezvous store, 1...65535.
    public var masterPort: Int
    /// Whether the launcher hosts the store (`dimr train --nproc`, torchrun's agent store), so rank 0 connects to it
    /// rather than hosting it.
    public var storeHostedByLauncher = false
    /// A prefix for the store's keys, distinct for each restart of an elastic job.
    public var keyPrefix = "dimr/"
    /// The network interface Gloo binds to (`GLOO_SOCKET_IFNAME`), if given.
    public var interface: String?

    /// The variable `dimr train --nproc` sets in its workers: the launcher hosts the store.
    public static let launcherStoreVariable = "DIMR_LAUNCHER_STORE"

    /// A rank of a job of `worldSize` processes meeting at `masterAddress`:`masterPort`.
    public init(rank: Int, worldSize: Int, localRank: Int, masterAddress: String, masterPort: Int) {
        self.rank = rank
        self.worldSize = worldSize
        self.localRank = localRank
        self.masterAddress = masterAddress
        self.masterPort = masterPort
    }

    /// The job described by `environment`; nil when `WORLD_SIZE` is unset (a single-process run).
    /// - Throws: `PipelineError` naming the variable that is missing or out of range.
    public static func read(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DistributedEnvironment? {
        guard let worldText = environment["WORLD_SIZE"] else {
            if environment["RANK"] != nil { throw PipelineError("RANK is set but WORLD_SIZE is not; set both (or neither, for one process)") }
            return nil
        }
        func integer(_ name: String, _ range: ClosedRange<Int>, default value: Int? = nil) throws -> Int {
            guard let text = environment[name] else {
                if let value { return value }
                throw PipelineError("\(name) is not set; a distributed run (WORLD_SIZE=\(worldText)) needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT")
            }
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
                throw PipelineError("\(name)=\(text) is not an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        let world = try integer("WORLD_SIZE", 1...65536)
        let rank = try integer("RANK", 0...(world - 1))
        let local = try integer("LOCAL_RANK", 0...(world - 1), default: rank)
        guard let address = environment["MASTER_ADDR"], !address.isEmpty else {
            throw PipelineError("MASTER_ADDR is not set; a distributed run needs the address of rank 0's machine")
        }
        let port = try integer("MASTER_PORT", 1...65535)
        var env = DistributedEnvironment(rank: rank, worldSize: world, localRank: local, masterAddress: address, masterPort: port)
        env.storeHostedByLauncher = environment[launcherStoreVariable] == "1"
            || environment["TORCHELASTIC_USE_AGENT_STORE"]?.lowercased() == "true"
        if let restart = environment["TORCHELASTIC_RESTART_COUNT"] { env.keyPrefix = "dimr/\(restart)/" }
        if let name = environment["GLOO_SOCKET_IFNAME"], !name.isEmpty { env.interface = name }
        return env
    }

    /// Whether the store's host is this machine's loopback.
    var isLoopback: Bool { masterAddress == "localhost" || masterAddress.hasPrefix("127.") || masterAddress == "::1" }

    /// The device this rank trains on when `--device` asks for `requested`: the CPU stays the CPU; CUDA means the GPU
    /// numbered by this process's LOCAL_RANK (one GPU per process, as torchrun jobs are laid out). `indexGiven` says
    /// whether the index was written (`cuda:N`); it must then be LOCAL_RANK.
    /// - Throws: `PipelineError` when a written index differs from LOCAL_RANK.
    public func device(for requested: Device, indexGiven: Bool) throws -> Device {
        guard case .cuda(let index) = requested else { return requested }
        guard !indexGiven || index == localRank else {
            throw PipelineError("rank \(rank): --device cuda:\(index) is not this process's GPU: each process of a data-parallel run "
                                + "uses the GPU of its LOCAL_RANK (\(localRank), so cuda:\(localRank)); give --device cuda")
        }
        return .cuda(localRank)
    }

    /// Meets the other ranks through the rendezvous store and forms the process group: Gloo when `device` is the CPU,
    /// NCCL on `device` when it is a GPU (see `device(for:indexGiven:)`). Collectives then fail after `timeout`.
    /// - Throws: `PipelineError` naming the store's address when it cannot be reached or bound, the ranks that
    ///   did not join within `timeout`, and why NCCL could not be used (a dimr built without it, a missing GPU).
    public func join(timeout: Duration, threads: Int = 2, device: Device = .cpu) throws -> ProcessGroup {
        let hosts = rank == 0 && !storeHostedByLauncher
        let store: DistributedStore
        do {
            store = try DistributedStore(host: masterAddress, port: masterPort, isServer: hosts, timeout: timeout)
        } catch let error as TorchError {
            throw PipelineError(hosts
                ? "rank 0 cannot host the rendezvous store on port \(masterPort) (MASTER_PORT): \(error.message.prefix(300))"
                : "rank \(rank) cannot reach the rendezvous store at \(masterAddress):\(masterPort) (MASTER_ADDR:MASTER_PORT) "
                  + "within \(timeout): is rank 0 running? (\(error.message.prefix(300)))")
        }
        let me = "\(ProcessInfo.processInfo.hostName) pid \(getpid())"
        do {
            try store.set("\(keyPrefix)joined/\(rank)", string: me)
        } catch let error as TorchError {
            throw PipelineError("rank \(rank): the rendezvous store at \(masterAddress):\(masterPort) failed: \(error.message.prefix(300))")
        }
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18)
        var missing = Array(0..<worldSize)
        while true {
            missing = missing.filter { (try? store.contains("\(keyPrefix)joined/\($0)")) != true }
            if missing.isEmpty || Date() >= deadline { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard missing.isEmpty else {
            let list = missing.count > 8 ? missing.prefix(8).map(String.init).joined(separator: ", ") + " and \(missing.count - 8) more"
                                         : missing.map(String.init).joined(separator: ", ")
            throw PipelineError("rank \(rank): rank\(missing.count > 1 ? "s" : "") \(list) of WORLD_SIZE \(worldSize) did not join "
                                + "the rendezvous at \(masterAddress):\(masterPort) within \(timeout)")
        }
        if case .cuda(let index) = device {
            do {
                return try ProcessGroup(ncclStore: store, keyPrefix: keyPrefix + "nccl/", rank: rank, size: worldSize,
                                        deviceIndex: index, timeout: timeout)
            } catch let error as TorchError {
                throw PipelineError("rank \(rank): forming the NCCL process group on \(device) failed: \(error.message.prefix(400))")
            }
        }
        let transport: ProcessGroup.Transport = interface.map { .interface($0) } ?? (isLoopback ? .address("127.0.0.1") : .hostname)
        do {
            return try ProcessGroup(store: store, keyPrefix: keyPrefix + "gloo/", rank: rank, size: worldSize, transport: transport,
                                    timeout: timeout, threads: threads)
        } catch let error as TorchError {
            throw PipelineError("rank \(rank): forming the Gloo process group failed: \(error.message.prefix(400))")
        }
    }
}
