import CTorch

/// The processes of a data-parallel job and their collectives: c10d's Gloo process group on CPU tensors
/// (`torch.distributed.new_group(backend="gloo")`), or its NCCL process group on one GPU per process
/// (`backend="nccl"`; only in a dimr built by scripts/build-cuda.sh, see `ncclVersion`).
///
/// Every process must call the same collectives in the same order.
public final class ProcessGroup: @unchecked Sendable {
    let handle: OpaquePointer
    /// This process's rank, 0..<size.
    public let rank: Int
    /// The number of processes.
    public let size: Int
    /// The store the group met through (kept alive with the group).
    public let store: DistributedStore
    /// The library carrying the collectives.
    public let backend: Backend
    /// Where the collectives' tensors live: the CPU (Gloo) or this process's GPU (NCCL).
    public let device: Device

    /// The collective libraries of c10d this package uses.
    public enum Backend: String, Sendable, Equatable {
        /// Gloo, on CPU tensors (in every libtorch).
        case gloo = "Gloo"
        /// NCCL, on CUDA tensors (CUDA builds of dimr only).
        case nccl = "NCCL"
    }

    /// The version of NCCL this dimr was compiled with (e.g. "2.28.9"), or nil when it was built without NCCL
    /// (the default build; scripts/build-cuda.sh makes one with it).
    public static var ncclVersion: String? {
        let code = Int(ct_nccl_version())
        guard code > 0 else { return nil }
        // NCCL_VERSION(X, Y, Z) is X * 1000 + Y * 100 + Z before 2.9 and X * 10000 + Y * 100 + Z since.
        return code >= 20900 ? "\(code / 10000).\(code % 10000 / 100).\(code % 100)"
                             : "\(code / 1000).\(code % 1000 / 100).\(code % 100)"
    }
    /// The default bucket of the collectives on many tensors: 25 MiB, as `DistributedDataParallel`'s.
    public static let defaultBucketBytes = 25 << 20

    /// Where a process's Gloo transport listens.
    public enum Transport: Sendable, Equatable {
        /// The address this machine's hostname resolves to (loopback when it does not resolve).
        case hostname
        /// The address of the given host name or IP address (e.g. 127.0.0.1 for one machine).
        case address(String)
        /// The address of the given network interface (as `GLOO_SOCKET_IFNAME`).
        case interface(String)
    }

    /// Joins the group of `size` processes meeting through `store` (under `keyPrefix` there, when not empty), as
    /// `rank`. Returns once all have joined; collectives then fail after `timeout`.
    /// - Throws: `TorchError` when the rank is outside 0..<size, or the peers do not all join within the
    ///   store's timeout.
    public convenience init(store: DistributedStore, keyPrefix: String = "", rank: Int, size: Int, transport: Transport = .hostname,
                            timeout: Duration, threads: Int = 2) throws {
        let ms = try Self.checkedTimeout(rank: rank, size: size, timeout: timeout, other: ("threads", (1...64).contains(threads)))
        var interface: String?
        var hostname: String?
        switch transport {
        case .hostname: break
        case .address(let a): hostname = a
        case .interface(let i): interface = i
        }
        guard let h = ct_process_group_gloo(store.handle, keyPrefix, Int32(rank), Int32(size), interface, hostname, ms, Int32(threads)) else {
            throw TorchError.last()
        }
        self.init(handle: h, rank: rank, size: size, store: store, backend: .gloo, device: .cpu)
    }

    /// Joins the NCCL group of `size` processes meeting through `store` (under `keyPrefix` there, when not empty), as
    /// `rank`, on CUDA device `deviceIndex` of this machine, which becomes the process's current CUDA device. Returns
    /// once the NCCL communicator is formed; collectives time out after `timeout` (NCCL's watchdog then stops the process).
    /// - Throws: `TorchError` when this dimr was built without NCCL, the device does not exist, the rank is outside
    ///   0..<size, or NCCL cannot form the group.
    public convenience init(ncclStore store: DistributedStore, keyPrefix: String = "", rank: Int, size: Int, deviceIndex: Int,
                            timeout: Duration) throws {
        let ms = try Self.checkedTimeout(rank: rank, size: size, timeout: timeout,
                                         other: ("device", (0...Int(Int32.max)).contains(deviceIndex)))
        guard let h = ct_process_group_nccl(store.handle, keyPrefix, Int32(rank), Int32(size), Int32(deviceIndex), ms) else {
            throw TorchError.last()
        }
        self.init(handle: h, rank: rank, size: size, store: store, backend: .nccl, device: .cuda(deviceIndex))
    }

    private init(handle: ct_process_group, rank: Int, size: Int, store: DistributedStore, backend: Backend, device: Device) {
        self.handle = handle
        self.rank = rank
        self.size = size
        self.store = store
        self.backend = backend
        self.device = device
    }

    /// Checks what every group takes (a rank inside 0..<size, a size that fits the C ABI, the backend's `other`
    /// argument, a positive timeout) and returns the timeout in milliseconds.
    private static func checkedTimeout(rank: Int, size: Int, timeout: Duration, other: (name: String, valid: Bool)) throws -> Int64 {
        guard size >= 1, (0..<size).contains(rank) else { throw TorchError("rank \(rank) is outside a group of \(size) processes") }
        guard size <= Int(Int32.max), other.valid else { throw TorchError("group size or \(other.name) out of range") }
        let ms = DistributedStore.milliseconds(timeout)
        guard ms > 0 else { throw TorchError("collective timeout must be positive, got \(timeout)") }
        return ms
    }

    deinit { ct_process_group_free(handle) }

    /// Sums each tensor across the processes, in place, then multiplies it by `scale` (1 / size: the mean).
    /// Tensors are packed into buckets of at most `bucketBytes`, whose reductions run concurrently.
    /// - Parameter tensors: contiguous floating-point tensors, the same shapes in the same order on every process:
    ///   on the CPU for Gloo; on the group's GPU for NCCL, or on the CPU (copied to the GPU and back).
    /// - Throws: `TorchError` on a wrong tensor, a lost peer or a timeout.
    public func allReduceSum(_ tensors: [Tensor], scale: Double = 1, bucketBytes: Int = ProcessGroup.defaultBucketBytes) throws {
        guard bucketBytes >= 1 else { throw TorchError("bucket size must be positive, got \(bucketBytes)") }
        try withHandles(tensors) { try check(ct_process_group_allreduce(handle, $0, $1, scale, Int64(bucketBytes))) }
    }

    /// Copies the values of `tensors` on process `root` into `tensors` on every process (without autograd history).
    /// - Throws: `TorchError` on a root outside the group, a lost peer or a timeout.
    public func broadcast(_ tensors: [Tensor], from root: Int = 0, bucketBytes: Int = ProcessGroup.defaultBucketBytes) throws {
        guard (0..<size).contains(root) else { throw TorchError("broadcast root \(root) is outside a group of \(size)") }
        guard bucketBytes >= 1 else { throw TorchError("bucket size must be positive, got \(bucketBytes)") }
        try withHandles(tensors) { try check(ct_process_group_broadcast(handle, $0, $1, Int32(root), Int64(bucketBytes))) }
    }

    /// Returns when every process has called it.
    public func barrier() throws { try check(ct_process_group_barrier(handle)) }

    /// Whether this build's view of `c10d::ProcessGroupGloo` (compiled with Debian's gloo headers) is no smaller
    /// than libtorch's: constructs a one-process group in a buffer with `guardBytes` of pattern past its end and
    /// checks that libtorch's constructor left the pattern intact. `store` must be a server.
    public static func glooLayoutMatches(store: DistributedStore, guardBytes: Int = 4096) throws -> Bool {
        let r = ct_gloo_layout_check(store.handle, Int64(guardBytes))
        if r < 0 { throw TorchError.last() }
        return r == 1
    }
}
