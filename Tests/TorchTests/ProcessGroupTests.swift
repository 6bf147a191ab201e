import Foundation
import Testing
import Torch

@Suite("c10d store and Gloo process group (loopback)")
struct ProcessGroupTests {
    @Test("this build's ProcessGroupGloo is no smaller than libtorch's (Debian's gloo headers against torch's gloo)")
    func layout() throws {
        let store = try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: .seconds(30))
        #expect(try ProcessGroup.glooLayoutMatches(store: store))
    }

    @Test("the store sets, waits for, adds and reports a missing key by a timeout")
    func store() throws {
        let server = try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: .seconds(30))
        #expect(server.port > 0)
        let client = try DistributedStore(host: "127.0.0.1", port: server.port, isServer: false, timeout: .seconds(30))
        let long = String(repeating: "x", count: 1000)
        try server.set("a", string: long)
        #expect(try client.getString("a") == long)
        #expect(try client.add("n", 2) == 2 && server.add("n", 3) == 5)
        #expect(try client.contains("a") && !client.contains("b"))
        #expect(throws: TorchError.self) { try client.get("b", timeout: .milliseconds(200)) }
        #expect(throws: TorchError.self) { try DistributedStore(host: "127.0.0.1", port: 0, isServer: false, timeout: .seconds(1)) }
    }

    @Test("three ranks (threads) sum, average in buckets and broadcast exactly")
    func collectives() throws {
        let size = 3
        let server = try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: .seconds(30))
        let port = server.port
        let results = Results(count: size)
        // One thread per rank (a pool of fewer threads than ranks would wait forever for the missing rank).
        let done = DispatchGroup()
        let body: @Sendable (Int) -> Void = { rank in
            do {
                let store = rank == 0 ? server : try DistributedStore(host: "127.0.0.1", port: port, isServer: false, timeout: .seconds(30))
                let group = try ProcessGroup(store: store, rank: rank, size: size, transport: .address("127.0.0.1"),
                                             timeout: .seconds(30), threads: 1)
                // Small integers: every sum is exact in float32 whatever the order.
                let a = try Tensor([Float](repeating: Float(rank + 1), count: 5))
                let b = try Tensor([Float](repeating: Float(10 * (rank + 1)), count: 7), shape: [7])
                let c = try Tensor([Double](repeating: Double(rank), count: 3))
                // 24-byte buckets: a (20 bytes) alone, b (28 bytes) alone, c (float64) alone.
                try group.allReduceSum([a, b, c], scale: 0.5, bucketBytes: 24)
                let w = try Tensor([Float](repeating: Float(rank), count: 4))
                try group.broadcast([w], from: 2)
                try group.barrier()
                results.set(rank, [try a.toArray(Float.self).map(Double.init), try b.toArray(Float.self).map(Double.init),
                                   try c.toArray(Double.self), try w.toArray(Float.self).map(Double.init)])
            } catch {
                results.fail(rank, "\(error)")
            }
        }
        for rank in 0..<size {
            done.enter()
            Thread.detachNewThread { body(rank); done.leave() }
        }
        done.wait()
        for rank in 0..<size {
            let r = try #require(results.values[rank], "rank \(rank): \(results.errors[rank] ?? "no result")")
            #expect(r[0] == [Double](repeating: 3, count: 5))    // (1 + 2 + 3) / 2
            #expect(r[1] == [Double](repeating: 30, count: 7))   // (10 + 20 + 30) / 2
            #expect(r[2] == [Double](repeating: 1.5, count: 3))  // (0 + 1 + 2) / 2
            #expect(r[3] == [Double](repeating: 2, count: 4))
        }
    }

    @Test("gradients averaged during backward, one bucket per parameter: used by all, by one rank, by none")
    func gradientAverager() throws {
        let size = 2
        let server = try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: .seconds(30))
        let port = server.port
        let results = Results(count: size)
        let done = DispatchGroup()
        for rank in 0..<size {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    let store = rank == 0 ? server : try DistributedStore(host: "127.0.0.1", port: port, isServer: false, timeout: .seconds(30))
                    let group = try ProcessGroup(store: store, rank: rank, size: size, transport: .address("127.0.0.1"), timeout: .seconds(30))
                    let (a, b, c) = (try Tensor.zeros([3]).requiresGrad(true), try Tensor.zeros([2]).requiresGrad(true),
                                     try Tensor.zeros([4]).requiresGrad(true))
                    // 8-byte buckets: every parameter alone, so buckets launch while backward runs.
                    let averager = try GradientAverager(group: group, parameters: [a, b, c], bucketBytes: 8)
                    for pass in 1...2 {  // the hooks re-arm: a second pass gives the same means
                        for p in [a, b, c] { try p.setGrad(nil) }
                        let x = try Tensor([Float](repeating: Float(rank + 1), count: 3))
                        var loss = try (a * x).sum()                       // d/da = rank + 1
                        if rank == 0 { loss = try loss + (b * 4.0).sum() } // d/db = 4 on rank 0 only
                        _ = try averager.averaging { try loss.backward() }
                        if pass == 2 {
                            results.set(rank, [try a.grad?.toArray(Float.self).map(Double.init) ?? [],
                                               try b.grad?.toArray(Float.self).map(Double.init) ?? [],
                                               c.grad == nil ? [] : [1]])
                        }
                    }
                } catch {
                    results.fail(rank, "\(error)")
                }
            }
        }
        done.wait()
        for rank in 0..<size {
            let r = try #require(results.values[rank], "rank \(rank): \(results.errors[rank] ?? "no result")")
            #expect(r[0] == [1.5, 1.5, 1.5])  // (1 + 2) / 2, exact in float32
            #expect(r[1] == [2, 2])           // (4 + 0) / 2: rank 1 had no gradient and gets the mean
            #expect(r[2].isEmpty, "a parameter no rank used keeps no gradient")
        }
    }

    @Test("NCCL: a build without it says how to get one; with it but no GPU, the missing device is named")
    func ncclGroup() throws {
        let store = try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: .seconds(5))
        let expected: String
        if ProcessGroup.ncclVersion == nil {
            expected = "this dimr was built without CUDA/NCCL; build with scripts/build-cuda.sh"
        } else if !Torch.cudaAvailable {
            expected = "no CUDA device cuda:0"
        } else {  // a GPU and NCCL: one rank sums a CUDA tensor and a CPU one (staged through the GPU)
            let group = try ProcessGroup(ncclStore: store, rank: 0, size: 1, deviceIndex: 0, timeout: .seconds(30))
            #expect(group.backend == .nccl && group.device == .cuda(0))
            let (a, b) = (try Tensor([Float](repeating: 2, count: 3)).to(device: .cuda(0)), try Tensor([Double](repeating: 3, count: 2)))
            try group.allReduceSum([a, b], scale: 0.5)
            #expect(try a.to(device: .cpu).toArray(Float.self) == [1, 1, 1] && b.toArray(Double.self) == [1.5, 1.5])
            return
        }
        do {
            _ = try ProcessGroup(ncclStore: store, rank: 0, size: 1, deviceIndex: 0, timeout: .seconds(5))
            Issue.record("an NCCL group formed without NCCL or a GPU")
        } catch let error as TorchError {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test("bad ranks, ports and timeouts are refused by name")
    func badArguments() throws {
        let store = try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: .seconds(5))
        #expect(throws: TorchError.self) { try ProcessGroup(store: store, rank: 2, size: 2, timeout: .seconds(1)) }
        #expect(throws: TorchError.self) { try DistributedStore(host: "127.0.0.1", port: 70000, isServer: true, timeout: .seconds(1)) }
        #expect(throws: TorchError.self) { try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: .zero) }
    }
}

/// Per-rank results written by concurrent threads.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [[[Double]]?]
    private(set) var errors: [String?]
    init(count: Int) { values = Array(repeating: nil, count: count); errors = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: [[Double]]) { lock.lock(); values[i] = v; lock.unlock() }
    func fail(_ i: Int, _ e: String) { lock.lock(); errors[i] = e; lock.unlock() }
}
