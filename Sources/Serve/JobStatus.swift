import Foundation

/// The answer of `GET /v1/jobs/{id}` (and of `POST /v1/generate`, `DELETE /v1/jobs/{id}`).
public struct JobStatus: Sendable, Encodable {
    /// The URLs of a finished job's results.
    public struct Files: Sendable, Encodable, Equatable {
        /// All images in one picture, one row per class.
        public let grid: String
        /// Image k at index k (class-major).
        public let images: [String]
        /// samples.npz, when the request asked for format npz.
        public let npz: String?

        init(id: String, spec: JobSpec) {
            let base = "/v1/jobs/\(id)"
            grid = base + "/grid.png"
            images = (0..<spec.imageCount).map { "\(base)/images/\($0).png" }
            npz = spec.settings.format == .npz ? base + "/samples.npz" : nil
        }
    }

    /// The job id.
    public let id: String
    /// queued, running, done, failed or cancelled.
    public let status: Job.State
    /// Place in the queue (1 = next), while queued.
    public let position: Int?
    /// Solver steps finished.
    public let step: Int
    /// Solver steps in all: the sampler's steps, which may be fewer than the denoiser calls asked for (`settings.steps`).
    public let steps: Int
    /// step / steps, 1 when done.
    public let progress: Double
    /// Images asked for.
    public let images: Int
    /// The checked settings, defaults filled in.
    public let settings: JobSpec.Settings
    /// When it was queued.
    public let created: Date
    /// When sampling started.
    public let started: Date?
    /// When it ended.
    public let finished: Date?
    /// Seconds from start to end (or to now while running).
    public let seconds: Double?
    /// Requests sampled in the same network batch (itself included).
    public let batchJobs: Int?
    /// Why it failed.
    public let error: String?
    /// Why it was cancelled.
    public let reason: String?
    /// Result URLs, when done.
    public let files: Files?
    /// The event stream's URL.
    public var events: String { "/v1/jobs/\(id)/events" }

    private enum CodingKeys: String, CodingKey {
        case id, status, position, step, steps, progress, images, settings, created, started, finished, seconds, batchJobs
        case error, reason, files, events
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(position, forKey: .position)
        try c.encode(step, forKey: .step)
        try c.encode(steps, forKey: .steps)
        try c.encode(progress, forKey: .progress)
        try c.encode(images, forKey: .images)
        try c.encode(settings, forKey: .settings)
        try c.encode(created, forKey: .created)
        try c.encodeIfPresent(started, forKey: .started)
        try c.encodeIfPresent(finished, forKey: .finished)
        try c.encodeIfPresent(seconds, forKey: .seconds)
        try c.encodeIfPresent(batchJobs, forKey: .batchJobs)
        try c.encodeIfPresent(error, forKey: .error)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(files, forKey: .files)
        try c.encode(events, forKey: .events)
    }
}
