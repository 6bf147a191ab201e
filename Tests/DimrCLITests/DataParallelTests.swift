import Foundation
import Testing
import Torch

/// `dimr train` across processes (Gloo on the loopback): N ranks at global batch B train as one process at B,
/// a 2-rank checkpoint resumes in one process, and a rank that dies or never comes is named.
@Suite(.serialized) struct DataParallelTests {
    /// Warm-up 0 so that the first steps move the weights; the `small` recipe's clipping and EMA warm-up stay on.
    private func arguments(output: String, steps: Int, batch: Int = 6, extra: [String] = []) -> [String] {
        ["train", "--dataset", "tiny-folder", "--preset", "fmnist-2r", "--batch-size", String(batch), "--steps", String(steps),
         "--warmup", "0", "--log-every", "1", "--threads", "1", "--checkpoint-every", "0", "--output", output,
         "--dist-timeout", "30"] + extra
    }

    /// ||a - b|| / ||a|| over all tensors of `prefix` in two checkpoints, and whether they hold the same names.
    private func relativeDifference(_ a: String, _ b: String, prefix: String) throws -> (Double, Bool) {
        let x = try SafeTensorsFile(path: a).tensors().filter { $0.key.hasPrefix(prefix) }
        let y = try SafeTensorsFile(path: b).tensors().filter { $0.key.hasPrefix(prefix) }
        var (difference, norm) = (0.0, 0.0)
        for (name, t) in x {
            guard let u = y[name], u.shape == t.shape else { return (.infinity, false) }
            let p = try t.to(.float64).toArray(Double.self), q = try u.to(.float64).toArray(Double.self)
            for (v, w) in zip(p, q) { difference += (v - w) * (v - w); norm += v * v }
        }
        return ((difference / max(norm, .leastNormalMagnitude)).squareRoot(), !x.isEmpty && x.keys.sorted() == y.keys.sorted())
    }

    private func losses(_ folder: String) throws -> [Double] {
        try metricsRecords(folder + "/metrics.jsonl").compactMap { $0["loss"] }
    }

    // Tolerance: the ranks compute the same float32 operations on the same images and noise, except that the loss is
    // averaged per shard and the gradients are then summed across ranks: a reordering of float32 sums whose relative
    // error is at most a few units of 2^-24 (6e-8) times the depth of the sum (log2 of 6 images, 3 ranks). Through
    // 3 AdamW steps (each moving a weight by at most lr = 1e-3, scaled by m / sqrt(v), which such a perturbation moves
    // by the same relative amount) and gradient clipping, the weights, of norm ~1e2, move relatively by < 1e-6; 1e-5
    // leaves room for the chaotic growth of rounding differences through the network's depth. The losses of
    // the same images agree to the same bound.
    @Test("2 and 3 ranks at global batch 6 give the losses, weights and EMA of one process at batch 6")
    func matchesOneProcess() throws {
        let root = try tinyFolderCopy()
        let single = try runDimr(arguments(output: "one", steps: 3), directory: root)
        #expect(single.status == 0, "\(single.error)")
        let reference = try losses(root + "/one")
        #expect(reference.count == 3)
        let last = "checkpoints/step-00000003.safetensors"
        for ranks in [2, 3] {
            // 0.05 MB buckets: the 1.3M parameters fill about 100, most reduced while backward still runs.
            let run = try runDimr(arguments(output: "n\(ranks)", steps: 3, extra: ["--nproc", String(ranks), "--bucket-mb", "0.05"]),
                                  directory: root)
            #expect(run.status == 0, "\(ranks) ranks: \(run.error)")
            #expect(run.output.contains("data parallel: \(ranks) processes x \(6 / ranks) images"), "\(run.output)")
            let curve = try losses(root + "/n\(ranks)")
            #expect(curve.count == 3, "\(ranks) ranks: \(curve)")
            for (a, b) in zip(reference, curve) { #expect(abs(a - b) <= 1e-5 * abs(a), "\(ranks) ranks: losses \(reference) vs \(curve)") }
            for prefix in ["model.", "ema.", "optimizer."] {
                let (difference, sameNames) = try relativeDifference(root + "/one/" + last, root + "/n\(ranks)/" + last, prefix: prefix)
                #expect(sameNames, "\(ranks) ranks: \(prefix) tensors differ in names or shapes")
                #expect(difference <= 1e-5, "\(ranks) ranks: \(prefix) relative difference \(difference)")
            }
            // Only rank 0 writes: one metrics file, one checkpoint, no other files.
            let checkpoints = try FileManager.default.contentsOfDirectory(atPath: root + "/n\(ranks)/checkpoints")
            #expect(checkpoints.filter { $0.hasSuffix(".safetensors") } == ["step-00000003.safetensors"])
        }
        // The comparison is not trivial: a run at another batch or seed differs far beyond the tolerance.
        let other = try runDimr(arguments(output: "seed1", steps: 3, extra: ["--seed", "1"]), directory: root)
        #expect(other.status == 0, "\(other.error)")
        let (apart, _) = try relativeDifference(root + "/one/" + last, root + "/seed1/" + last, prefix: "model.")
        #expect(apart > 1e-3, "another seed gives weights \(apart) apart")
    }

    @Test("a 2-rank checkpoint resumes in one process, and that one in 3 ranks, on the loss curve of one process")
    func resumesWithAnotherWorldSize() throws {
        let root = try tinyFolderCopy()
        #expect(try runDimr(arguments(output: "straight", steps: 5), directory: root).status == 0)
        for (steps, ranks) in [(2, 2), (4, 1), (5, 3)] {
            let run = try runDimr(arguments(output: "mixed", steps: steps, extra: ["--nproc", String(ranks)]), directory: root)
            #expect(run.status == 0, "\(ranks) ranks to step \(steps): \(run.error)")
            if steps > 2 { #expect(run.output.contains("resuming from"), "\(run.output)") }
        }
        let (straight, mixed) = (try losses(root + "/straight"), try losses(root + "/mixed"))
        #expect(straight.count == 5 && mixed.count == 5, "\(straight) \(mixed)")
        // Same bound as above: the same images and noise, float32 sums in another order.
        for (a, b) in zip(straight, mixed) { #expect(abs(a - b) <= 1e-5 * abs(a), "\(straight) vs \(mixed)") }
        let (difference, _) = try relativeDifference(root + "/straight/checkpoints/step-00000005.safetensors",
                                                     root + "/mixed/checkpoints/step-00000005.safetensors", prefix: "model.")
        #expect(difference <= 1e-5, "weights \(difference) apart")
    }

    @Test("torchrun-style: two processes given RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (rank 0 hosts the store) train as one")
    func environmentLaunch() throws {
        let root = try tinyFolderCopy()
        #expect(try runDimr(arguments(output: "one", steps: 2), directory: root).status == 0)
        // A port free a moment ago: a store bound to port 0 and closed again.
        let port = try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: .seconds(5)).port
        let ranks = try (0..<2).map { rank in
            try startDimr(arguments(output: "env", steps: 2),
                          environment: ["RANK": String(rank), "WORLD_SIZE": "2", "LOCAL_RANK": String(rank),
                                        "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": String(port)], directory: root)
        }
        defer { for r in ranks where r.process.isRunning { kill(r.process.processIdentifier, SIGKILL) } }
        for (rank, r) in ranks.enumerated() {
            let error = String(decoding: try r.stderr.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
            let output = String(decoding: try r.stdout.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
            r.process.waitUntilExit()
            #expect(r.process.terminationStatus == 0, "rank \(rank): \(error)")
            // Only rank 0 reports.
            #expect(output.contains("data parallel: 2 processes") == (rank == 0), "rank \(rank): \(output)")
        }
        let (single, pair) = (try losses(root + "/one"), try losses(root + "/env"))
        #expect(single.count == 2 && pair.count == 2, "\(single) \(pair)")
        for (a, b) in zip(single, pair) { #expect(abs(a - b) <= 1e-5 * abs(a), "\(single) vs \(pair)") }  // bound argued above
    }

    @Test("a killed rank stops the job within the timeout, naming it; the last checkpoint stays readable")
    func killedRankIsNamed() throws {
        let root = try tinyFolderCopy()
        let job = try startDimr(arguments(output: "OUT", steps: 1_000_000, batch: 2,
                                          extra: ["--nproc", "2", "--checkpoint-every", "2", "--dist-timeout", "20"]), directory: root)
        defer { if job.process.isRunning { kill(job.process.processIdentifier, SIGKILL) } }
        let checkpoint = root + "/OUT/checkpoints/step-00000002.safetensors"
        try #require(waitFor(seconds: 120) { FileManager.default.fileExists(atPath: checkpoint) }, "the job did not reach step 2")
        let ranks = Self.children(of: job.process.processIdentifier)
        let victim = try #require(ranks.first { $0.rank == 1 }, "no rank 1 among the launcher's children \(ranks)")
        let killed = Date()
        kill(victim.pid, SIGKILL)
        let error = try job.stderr.fileHandleForReading.readToEnd() ?? Data()
        job.process.waitUntilExit()
        let message = String(decoding: error, as: UTF8.self)
        // The survivors stop within --dist-timeout (20 s; the launcher kills them 15 s after the failure at the latest).
        #expect(Date().timeIntervalSince(killed) < 20, "the job took \(Date().timeIntervalSince(killed)) s to stop")
        #expect(job.process.terminationStatus != 0)
        #expect(message.contains("rank 1 (pid \(victim.pid)) was killed by signal 9"), "\(message)")
        #expect(message.contains("rank 0:") && message.contains("rank 1 stopped"), "rank 0 should name the lost rank: \(message)")
        let newest = try FileManager.default.contentsOfDirectory(atPath: root + "/OUT/checkpoints").filter { $0.hasSuffix(".safetensors") }.max()
        let file = try SafeTensorsFile(path: root + "/OUT/checkpoints/" + #require(newest))
        #expect(file.metadata["step"] != nil)
        #expect(try !file.tensors().isEmpty)
    }

    @Test("Ctrl-C on the launcher stops every rank after the same step; rank 0 saves once; the job exits 130")
    func interruptSavesOnce() throws {
        let root = try tinyFolderCopy()
        let job = try startDimr(arguments(output: "OUT", steps: 1_000_000, batch: 2, extra: ["--nproc", "2"]), directory: root)
        defer { if job.process.isRunning { kill(job.process.processIdentifier, SIGKILL) } }
        let metrics = root + "/OUT/metrics.jsonl"
        try #require(waitFor(seconds: 120) { ((try? Data(contentsOf: URL(fileURLWithPath: metrics)))?.count ?? 0) > 0 })
        let ranks = Self.children(of: job.process.processIdentifier)
        #expect(ranks.count == 2, "\(ranks)")
        kill(job.process.processIdentifier, SIGINT)
        let error = String(decoding: try job.stderr.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
        job.process.waitUntilExit()
        #expect(job.process.terminationStatus == 130, "\(error)")
        let saved = try FileManager.default.contentsOfDirectory(atPath: root + "/OUT/checkpoints").filter { $0.hasSuffix(".safetensors") }
        #expect(saved.count == 1, "\(saved)")
        let step = try #require(saved.first.flatMap { try SafeTensorsFile(path: root + "/OUT/checkpoints/" + $0).metadata["step"] })
        #expect(error.contains("interrupted: checkpoint of step \(step) saved"), "\(error)")
        for rank in ranks { #expect(kill(rank.pid, 0) != 0, "rank \(rank.rank) still runs") }
    }

    @Test("a rank that never comes is named after the timeout; a batch that does not divide is refused")
    func missingPeerAndBadBatch() throws {
        let root = try tinyFolderCopy()
        let store = try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: .seconds(30))
        let started = Date()
        let alone = try runDimr(arguments(output: "OUT", steps: 1, extra: ["--dist-timeout", "2"]),
                                environment: ["RANK": "0", "WORLD_SIZE": "3", "MASTER_ADDR": "127.0.0.1",
                                              "MASTER_PORT": String(store.port), "DIMR_LAUNCHER_STORE": "1"], directory: root)
        #expect(alone.status == 1)
        #expect(alone.error.contains("ranks 1, 2 of WORLD_SIZE 3 did not join the rendezvous at 127.0.0.1:\(store.port)"), "\(alone.error)")
        #expect(Date().timeIntervalSince(started) < 20)
        let odd = try runDimr(arguments(output: "OUT", steps: 1, extra: ["--nproc", "4"]), directory: root)
        #expect(odd.status != 0)
        #expect(odd.error.contains("--batch-size 6 (the global batch) does not divide among --nproc 4"), "\(odd.error)")
        let noPort = try runDimr(arguments(output: "OUT", steps: 1), environment: ["RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1"],
                                 directory: root)
        #expect(noPort.status == 1)
        #expect(noPort.error.contains("MASTER_PORT is not set"), "\(noPort.error)")
    }

    @Test("--device cuda in a data-parallel run: NCCL on cuda:LOCAL_RANK; another index is refused; no NCCL or GPU is named")
    func cudaDevice() throws {
        let root = try tinyFolderCopy()
        let wrongIndex = try runDimr(arguments(output: "OUT", steps: 1, extra: ["--nproc", "2", "--device", "cuda:1"]), directory: root)
        #expect(wrongIndex.status != 0)
        #expect(wrongIndex.error.contains("--nproc gives rank k the GPU cuda:k (NCCL); give --device cuda"), "\(wrongIndex.error)")
        if ProcessGroup.ncclVersion == nil || Torch.cudaDeviceCount < 2 {  // refused by the launcher, before any rank starts
            let launched = try runDimr(arguments(output: "OUT", steps: 1, extra: ["--nproc", "2", "--device", "cuda"]), directory: root)
            #expect(launched.status != 0 && !launched.output.contains("started 2 ranks") && !launched.error.contains("started 2 ranks"))
            #expect(launched.error.contains(ProcessGroup.ncclVersion == nil ? "this dimr was built without CUDA/NCCL" : "cuda:1"), "\(launched.error)")
        }
        let store = try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: .seconds(30))
        let environment = ["RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1",
                           "MASTER_PORT": String(store.port), "DIMR_LAUNCHER_STORE": "1"]
        let notLocal = try runDimr(arguments(output: "OUT", steps: 1, extra: ["--device", "cuda:1"]), environment: environment, directory: root)
        #expect(notLocal.status == 1)
        #expect(notLocal.error.contains("rank 0: --device cuda:1 is not this process's GPU"), "\(notLocal.error)")
        guard ProcessGroup.ncclVersion == nil || !Torch.cudaAvailable else { return }  // a GPU with NCCL would train
        let run = try runDimr(arguments(output: "OUT", steps: 1, extra: ["--device", "cuda"]), environment: environment, directory: root)
        #expect(run.status == 1)
        let expected = ProcessGroup.ncclVersion == nil ? "this dimr was built without CUDA/NCCL; build with scripts/build-cuda.sh"
                                                       : "no CUDA device cuda:0"
        #expect(run.error.contains("forming the NCCL process group on cuda:0 failed") && run.error.contains(expected), "\(run.error)")
    }

    /// The children of `pid` with the RANK of their environment (Linux /proc).
    static func children(of pid: Int32) -> [(pid: Int32, rank: Int)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        let pids = tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return pids.compactMap { child in
            guard let environ = FileManager.default.contents(atPath: "/proc/\(child)/environ") else { return nil }
            let rank = environ.split(separator: 0).compactMap { entry -> Int? in
                let text = String(decoding: entry, as: UTF8.self)
                return text.hasPrefix("RANK=") ? Int(text.dropFirst(5)) : nil
            }.first
            return rank.map { (child, $0) }
        }
    }
}
