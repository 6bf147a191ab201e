import Foundation

/// The jobs the server knows, its bounded queue, and the hand-over of batches to the one sampling worker.
///
/// Jobs are served in order: the worker takes the oldest queued job and, when its settings allow batching,
/// the following queued jobs with the same `BatchKey` while the batch stays within `batchSize` images.
/// Finished jobs beyond `keepJobs` are forgotten, oldest first, and their folders deleted, so memory and disk
/// stay flat however many requests come.
final class JobStore: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [String: Job] = [:]
    private var queue: [Job] = []
    private var running: [Job] = []
    private var finishedOrder: [String] = []
    private var stopping = false
    private var holding = false
    private var pace = BatchPace()
    private let configuration: ServeConfiguration

    init(configuration: ServeConfiguration) {
        self.configuration = configuration
    }

    /// Queues a job for `spec` with a fresh id, its folder under the output folder.
    /// - Throws: `APIError` 429 (with Retry-After) when the queue is full, 503 while shutting down.
    func submit(_ spec: JobSpec, now: Date = Date()) throws -> Job {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw APIError(.serviceUnavailable, "the server is shutting down") }
        guard queue.count < configuration.queueCapacity else {
            // Slots free when the worker takes its next batch, once the running one ends.
            let wait = pace.secondsUntilFree(at: now)
            throw APIError(.tooManyRequests, "the queue is full (\(queue.count) jobs waiting); retry after \(wait) s",
                           headers: [.retryAfter: String(wait)])
        }
        var id = Self.newID()
        while jobs[id] != nil { id = Self.newID() }
        let job = Job(id: id, spec: spec, folder: configuration.outputFolder + "/" + id)
        jobs[id] = job
        queue.append(job)
        job.queued(position: queue.count)
        condition.signal()
        return job
    }

    /// The job with `id`, if known.
    func job(_ id: String) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        return jobs[id]
    }

    /// The place of `job` in the queue (1 = next), nil when not queued.
    func position(of job: Job) -> Int? {
        condition.lock()
        defer { condition.unlock() }
        return queue.firstIndex { $0 === job }.map { $0 + 1 }
    }

    /// Jobs waiting and jobs being sampled.
    var counts: (queued: Int, running: Int, known: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (queue.count, running.count, jobs.count)
    }

    /// Cancels a queued or running job (a running one stops after its current solver step).
    /// - Throws: `APIError` 404 for an unknown id, 409 for a job that has already ended.
    func cancel(_ id: String) throws -> Job {
        condition.lock()
        defer { condition.unlock() }
        guard let job = jobs[id] else { throw APIError.unknownJob(id) }
        guard job.cancel(reason: "cancelled by a client") else {
            throw APIError(.conflict, field: "id", "job \(id) has already ended (\(job.state.rawValue))")
        }
        if let index = queue.firstIndex(where: { $0 === job }) {
            queue.remove(at: index)
            finishedLocked([job])
            announcePositionsLocked()
        }
        return job
    }

    /// Blocks until there is work; returns the next batch (marked running), or nil once shutting down.
    func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while (queue.isEmpty || holding) && !stopping { condition.wait() }
        guard !stopping else { return nil }
        let head = queue.removeFirst()
        var batch = [head]
        var images = head.spec.imageCount
        if let key = head.spec.batchKey {
            var index = 0
            while index < queue.count {
                let candidate = queue[index]
                if candidate.spec.batchKey == key && images + candidate.spec.imageCount <= configuration.batchSize {
                    batch.append(queue.remove(at: index))
                    images += candidate.spec.imageCount
                } else {
                    index += 1
                }
            }
        }
        running = batch
        announcePositionsLocked()
        return batch
    }

    /// The running batch (taken by `nextBatch`) makes `steps` solver steps, from `time`.
    func batchStarted(steps: Int, at time: Date = Date()) {
        condition.lock()
        defer { condition.unlock() }
        pace.start(steps: steps, at: time)
    }

    /// Solver step `step` (1-based) of the running batch finished at `time`.
    func batchStep(_ step: Int, at time: Date = Date()) {
        condition.lock()
        defer { condition.unlock() }
        pace.step(step, at: time)
    }

    /// Records the end of a batch taken by `nextBatch`.
    func finished(_ batch: [Job]) {
        condition.lock()
        defer { condition.unlock() }
        running.removeAll()
        pace.finish()
        finishedLocked(batch)
        condition.broadcast()
    }

    /// Holds the worker before its next batch (`hold(true)`) or lets it go on: jobs queue meanwhile.
    func hold(_ on: Bool) {
        condition.lock()
        defer { condition.unlock() }
        holding = on
        condition.broadcast()
    }

    /// Stops taking jobs, cancels the queued and running ones with `reason`, and wakes the worker.
    func shutdown(reason: String) {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        for job in queue + running { job.cancel(reason: reason) }
        finishedLocked(queue)
        queue.removeAll()
        condition.broadcast()
    }

    /// Whether the store is shutting down.
    var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    private func announcePositionsLocked() {
        for (index, job) in queue.enumerated() { job.queued(position: index + 1) }
    }

    /// Adds ended jobs to the history and forgets the oldest beyond `keepJobs`, deleting their folders.
    private func finishedLocked(_ ended: [Job]) {
        finishedOrder.append(contentsOf: ended.map(\.id))
        while finishedOrder.count > configuration.keepJobs {
            let id = finishedOrder.removeFirst()
            if let job = jobs.removeValue(forKey: id) {
                try? FileManager.default.removeItem(atPath: job.folder)
            }
        }
    }

    /// 24 random lower-case hex digits (96 bits).
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<3).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max, using: &generator)) }.joined()
    }
}
