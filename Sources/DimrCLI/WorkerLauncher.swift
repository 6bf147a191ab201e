import Foundation
import Pipeline
import Torch

/// `dimr train --nproc N`: hosts the rendezvous store on the loopback, starts N copies of this command as the
/// ranks of a data-parallel job (with torchrun's variables set), and watches them. A rank that fails stops the
/// job with a message naming it; Ctrl-C is passed on once, so that the ranks stop after the same step and rank 0
/// saves a checkpoint.
struct WorkerLauncher {
    /// The number of ranks.
    let count: Int
    /// The arguments of each worker (the command without --nproc).
    let arguments: [String]
    /// How long the rendezvous and each collective may take.
    let timeout: Duration
    /// How long the other ranks get, after one fails, to report what they saw before they are killed.
    var grace: Duration { min(timeout, .seconds(15)) }

    /// Runs the job; returns the exit status for the launcher (0; 130 or 143 when interrupted; else the failure's).
    func run() throws -> Int32 {
        let store = try DistributedStore(host: "127.0.0.1", port: 0, isServer: true, timeout: timeout)
        guard let executable = Bundle.main.executableURL else { throw CommandError("cannot find the dimr executable to start workers") }
        var workers: [Process] = []
        let base = ProcessInfo.processInfo.environment
        for rank in 0..<count {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            var env = base
            env["RANK"] = String(rank)
            env["LOCAL_RANK"] = String(rank)
            env["WORLD_SIZE"] = String(count)
            env["LOCAL_WORLD_SIZE"] = String(count)
            env["MASTER_ADDR"] = "127.0.0.1"
            env["MASTER_PORT"] = String(store.port)
            env[DistributedEnvironment.launcherStoreVariable] = "1"
            process.environment = env
            do {
                try process.run()
            } catch {
                for w in workers where w.isRunning { kill(w.processIdentifier, SIGKILL) }
                throw CommandError("cannot start rank \(rank) (\(executable.path)): \(error.localizedDescription)")
            }
            workers.append(process)
        }
        Console.line("started \(count) ranks (pids \(workers.map { String($0.processIdentifier) }.joined(separator: ", "))), "
                     + "rendezvous at 127.0.0.1:\(store.port)")
        return watch(workers)
    }

    /// Waits for the workers; the first failure names its rank, and the others get `grace` to stop before
    /// they are killed.
    private func watch(_ workers: [Process]) -> Int32 {
        var forwarded = false
        var failure: (rank: Int, status: Int32)?
        var deadline: Date?
        while workers.contains(where: \.isRunning) {
            if Interrupt.requested && !forwarded {
                forwarded = true
                for w in workers where w.isRunning { kill(w.processIdentifier, SIGINT) }
            }
            if failure == nil, let rank = workers.indices.first(where: { !workers[$0].isRunning && Self.failed(workers[$0]) }) {
                let w = workers[rank]
                failure = (rank, w.terminationReason == .uncaughtSignal ? 1 : w.terminationStatus)
                let running = workers.indices.filter { workers[$0].isRunning }
                FileHandle.standardError.write(Data(("dimr train: rank \(rank) (pid \(w.processIdentifier)) \(Self.describe(w)); "
                    + "stopping the job (rank\(running.count == 1 ? "" : "s") \(running.map(String.init).joined(separator: ", ")) "
                    + "get\(running.count == 1 ? "s" : "") \(grace) to stop)\n").utf8))
                deadline = Date().addingTimeInterval(Double(grace.components.seconds))
            }
            if let deadline, Date() >= deadline {
                for w in workers where w.isRunning { kill(w.processIdentifier, SIGKILL) }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        if let failure { return failure.status }
        if let rank = workers.indices.first(where: { Self.failed(workers[$0]) }) {
            let w = workers[rank]
            FileHandle.standardError.write(Data("dimr train: rank \(rank) (pid \(w.processIdentifier)) \(Self.describe(w))\n".utf8))
            return w.terminationReason == .uncaughtSignal ? 1 : w.terminationStatus
        }
        return workers.first { Self.interruptedStatuses.contains($0.terminationStatus) }?.terminationStatus ?? 0
    }

    /// A worker's status after a Ctrl-C (130) or SIGTERM (143): an interrupted run that saved.
    private static let interruptedStatuses: Set<Int32> = [130, 143]

    /// Whether a finished worker failed (an interrupted run that saved does not count as a failure).
    private static func failed(_ w: Process) -> Bool {
        w.terminationReason == .uncaughtSignal || (w.terminationStatus != 0 && !interruptedStatuses.contains(w.terminationStatus))
    }

    private static func describe(_ w: Process) -> String {
        w.terminationReason == .uncaughtSignal ? "was killed by signal \(w.terminationStatus)" : "exited with status \(w.terminationStatus)"
    }

    /// `arguments` without `--nproc N` / `--nproc=N`.
    static func workerArguments(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var skipNext = false
        for a in arguments {
            if skipNext { skipNext = false; continue }
            if a == "--nproc" { skipNext = true; continue }
            if a.hasPrefix("--nproc=") { continue }
            out.append(a)
        }
        return out
    }
}
