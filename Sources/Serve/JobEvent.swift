import Foundation

/// One Server-Sent Event of a job's stream (`GET /v1/jobs/{id}/events`).
///
/// Each is sent as `event: NAME` and `data: JSON`; the stream ends after `done`, `failed` or `cancelled`.
public enum JobEvent: Sendable, Equatable {
    /// Waiting; `position` 1 is next.
    case queued(position: Int)
    /// Sampling started in a network batch of `batchImages` images from `batchJobs` requests; `steps` solver steps.
    case started(steps: Int, batchJobs: Int, batchImages: Int)
    /// Solver step `step` of `steps` finished (1-based); the sample has reached time `time` (0...1000, 0 = clean).
    case progress(step: Int, steps: Int, time: Double)
    /// The x0 prediction after step `step`, as a PNG grid data URL.
    case preview(step: Int, image: String)
    /// All images are written.
    case done(images: Int, seconds: Double)
    /// Sampling or writing failed.
    case failed(message: String)
    /// Cancelled by a client or by the server's shut-down.
    case cancelled(reason: String)

    /// The SSE event name.
    public var name: String {
        switch self {
        case .queued: "queued"
        case .started: "started"
        case .progress: "progress"
        case .preview: "preview"
        case .done: "done"
        case .failed: "failed"
        case .cancelled: "cancelled"
        }
    }

    /// Whether the stream ends with this event.
    public var isFinal: Bool {
        switch self {
        case .done, .failed, .cancelled: true
        default: false
        }
    }

    /// The event's JSON payload (snake_case keys).
    public var payload: [String: JSONValue] {
        switch self {
        case .queued(let position): ["position": .int(position)]
        case .started(let steps, let jobs, let images):
            ["steps": .int(steps), "batch_jobs": .int(jobs), "batch_images": .int(images)]
        case .progress(let step, let steps, let time):
            ["step": .int(step), "steps": .int(steps), "time": .number(time),
             "progress": .number(steps > 0 ? Double(step) / Double(steps) : 1)]
        case .preview(let step, let image): ["step": .int(step), "image": .string(image)]
        case .done(let images, let seconds): ["images": .int(images), "seconds": .number(seconds)]
        case .failed(let message): ["error": .string(message)]
        case .cancelled(let reason): ["reason": .string(reason)]
        }
    }

    /// The event as SSE text: `event: NAME\ndata: JSON\n\n`.
    public var serverSentEvent: String {
        let data = (try? JSONResponse.encoder().encode(payload)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "event: \(name)\ndata: \(data)\n\n"
    }
}
