import Foundation

/// The pace of the running batch, to tell a client refused with 429 when a queue slot is likely to free: the
/// worker takes the next batch (freeing slots) when the running one ends.
///
/// The estimate is the running batch's remaining solver steps times its seconds per step so far (before its
/// first step: the last batch's seconds per step), at least 1 s and at most `cap`.
struct BatchPace {
    /// The longest wait told (seconds).
    static let cap = 600

    private var started: Date?
    private var steps = 0
    private var done = 0
    private var lastStep: Date?
    private var lastSecondsPerStep: Double?

    /// A batch of `steps` solver steps started at `time`.
    mutating func start(steps: Int, at time: Date) {
        started = time
        self.steps = steps
        done = 0
        lastStep = nil
    }

    /// Solver step `step` (1-based) of the running batch finished at `time`.
    mutating func step(_ step: Int, at time: Date) {
        guard let started, step > 0 else { return }
        done = min(step, steps)
        lastStep = time
        lastSecondsPerStep = max(0, time.timeIntervalSince(started)) / Double(done)
    }

    /// The running batch ended.
    mutating func finish() {
        started = nil
        steps = 0
        done = 0
        lastStep = nil
    }

    /// Whole seconds until the running batch likely ends, 1...`cap` (1 when none runs).
    func secondsUntilFree(at now: Date) -> Int {
        guard let started else { return 1 }
        let perStep = lastSecondsPerStep ?? 1
        let since = now.timeIntervalSince(lastStep ?? started)
        let remaining = perStep * Double(max(0, steps - done)) - max(0, since)
        guard remaining.isFinite else { return Self.cap }
        return min(Self.cap, max(1, Int(remaining.rounded(.up))))
    }
}
