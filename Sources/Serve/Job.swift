import Foundation

/// One generate request from queueing to its files: its state, its event log and its subscribers.
///
/// Thread-safe: the HTTP handlers and the sampling worker's thread share it. The event log replays to every
/// subscriber, so a client that connects late still sees each step; only the latest `queued` and `preview`
/// events are kept, so the log holds at most a few events per solver step.
public final class Job: @unchecked Sendable {
    /// Where a job is in its life.
    public enum State: String, Sendable, Encodable {
        /// Waiting in the queue.
        case queued
        /// Being sampled.
        case running
        /// Its files are written.
        case done
        /// Sampling or writing failed.
        case failed
        /// Cancelled by a client or the server's shut-down.
        case cancelled

        /// Whether the job has ended (no more events).
        public var isFinal: Bool { self == .done || self == .failed || self == .cancelled }
    }

    /// The server-generated id (lower-case hex), also the name of its output folder.
    public let id: String
    /// The checked request.
    public let spec: JobSpec
    /// Its output folder: the server's output folder + `/` + `id`.
    public let folder: String
    /// When it was queued.
    public let created = Date()

    // Recursive: finishing a stream runs its termination handler, which takes the lock again.
    private let lock = NSRecursiveLock()
    private var state_ = State.queued
    private var step_ = 0
    private var steps_ = 0
    private var started_: Date?
    private var finished_: Date?
    private var message_: String?
    private var batchJobs_ = 0
    private var events: [JobEvent] = []
    private var subscribers: [UInt64: AsyncStream<JobEvent>.Continuation] = [:]
    private var nextSubscriber: UInt64 = 0

    init(id: String, spec: JobSpec, folder: String) {
        self.id = id
        self.spec = spec
        self.folder = folder
        steps_ = spec.solverSteps
    }

    /// The current state.
    public var state: State { lock.withLock { state_ } }

    /// Whether the worker should still sample it.
    var isActive: Bool { lock.withLock { !state_.isFinal } }

    /// A snapshot for `GET /v1/jobs/{id}`; `position` is its place in the queue when queued.
    func status(position: Int?) -> JobStatus {
        lock.withLock {
            JobStatus(id: id, status: state_, position: state_ == .queued ? position : nil, step: step_, steps: steps_,
                      progress: state_ == .done ? 1 : steps_ > 0 ? Double(step_) / Double(steps_) : 0,
                      images: spec.imageCount, settings: spec.settings, created: created, started: started_, finished: finished_,
                      seconds: started_.map { (finished_ ?? Date()).timeIntervalSince($0) }, batchJobs: batchJobs_ > 0 ? batchJobs_ : nil,
                      error: state_ == .failed ? message_ : nil, reason: state_ == .cancelled ? message_ : nil,
                      files: state_ == .done ? JobStatus.Files(id: id, spec: spec) : nil)
        }
    }

    /// Events so far, then live ones; finishes after the final event.
    func subscribe() -> AsyncStream<JobEvent> {
        let (stream, continuation) = AsyncStream<JobEvent>.makeStream()
        lock.withLock {
            for event in events { continuation.yield(event) }
            if state_.isFinal {
                continuation.finish()
            } else {
                let key = nextSubscriber
                nextSubscriber += 1
                subscribers[key] = continuation
                continuation.onTermination = { [weak self] _ in
                    guard let self else { return }
                    _ = self.lock.withLock { self.subscribers.removeValue(forKey: key) }
                }
            }
        }
        return stream
    }

    /// Number of live subscribers (for tests of clean-up).
    var subscriberCount: Int { lock.withLock { subscribers.count } }

    /// Records and sends `event` unless the job has ended. Must be called with the lock held.
    private func publishLocked(_ event: JobEvent) {
        // Keep only the newest queued position and preview image.
        if case .queued = event { events.removeAll { if case .queued = $0 { true } else { false } } }
        if case .preview = event { events.removeAll { if case .preview = $0 { true } else { false } } }
        events.append(event)
        for continuation in subscribers.values {
            continuation.yield(event)
            if event.isFinal { continuation.finish() }
        }
        if event.isFinal { subscribers.removeAll() }
    }

    /// Tells subscribers the job's place in the queue.
    func queued(position: Int) {
        lock.withLock { if state_ == .queued { publishLocked(.queued(position: position)) } }
    }

    /// Marks the job running in a batch; false when it was cancelled meanwhile.
    func start(steps: Int, batchJobs: Int, batchImages: Int) -> Bool {
        lock.withLock {
            guard state_ == .queued || state_ == .running else { return false }
            state_ = .running
            started_ = Date()
            steps_ = steps
            batchJobs_ = batchJobs
            publishLocked(.started(steps: steps, batchJobs: batchJobs, batchImages: batchImages))
            return true
        }
    }

    /// Records a finished solver step (and a preview) while running.
    func progress(step: Int, steps: Int, time: Double, preview: String?) {
        lock.withLock {
            guard state_ == .running else { return }
            step_ = step
            steps_ = steps
            publishLocked(.progress(step: step, steps: steps, time: time))
            if let preview { publishLocked(.preview(step: step, image: preview)) }
        }
    }

    /// Ends the job as done (its files are written); false when it was cancelled meanwhile.
    func complete() -> Bool {
        lock.withLock {
            guard state_ == .running else { return false }
            state_ = .done
            finished_ = Date()
            publishLocked(.done(images: spec.imageCount, seconds: finished_?.timeIntervalSince(started_ ?? created) ?? 0))
            return true
        }
    }

    /// Ends the job as failed unless it has ended already.
    func fail(_ message: String) {
        _ = end(.failed, message: message, event: .failed(message: message))
    }

    /// Ends the job as cancelled unless it has ended already; returns whether it was still queued or running.
    @discardableResult
    func cancel(reason: String) -> Bool {
        end(.cancelled, message: reason, event: .cancelled(reason: reason))
    }

    private func end(_ state: State, message: String, event: JobEvent) -> Bool {
        lock.withLock {
            guard !state_.isFinal else { return false }
            state_ = state
            message_ = message
            finished_ = Date()
            publishLocked(event)
            return true
        }
    }
}
