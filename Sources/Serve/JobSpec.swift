import Diffusion
import Foundation
import Pipeline

/// A generate request checked against the model and the limits: what the worker samples.
///
/// Every check runs here, before the job is queued; a failure is an `APIError` (400) naming the field.
public struct JobSpec: Sendable {
    /// The guidance rules a request may name.
    public enum Rule: String, CaseIterable, Sendable, Encodable {
        /// cond + scale (cond - uncond).
        case constant
        /// uncond + s(t) (cond - uncond), s rising from 1 at t = 1000 to scale at t = 0.
        case decayed
        /// The conditional prediction only.
        case none
    }
    /// The result formats.
    public enum Format: String, CaseIterable, Sendable, Encodable {
        /// One PNG per image and a grid.
        case png
        /// The PNGs plus samples.npz (uint8 NHWC with 3 channels, int64 labels: the ADM evaluation-suite layout).
        case npz
    }

    /// The settings as the server understood them, echoed in the job's status.
    public struct Settings: Sendable, Encodable, Equatable {
        /// Class indices, in the order asked.
        public let classes: [Int]
        /// Images per class, 1...limit.
        public let perClass: Int
        /// Image k's noise depends only on (seed, k).
        public let seed: UInt64
        /// The sampler.
        public let sampler: SamplerName
        /// Denoiser calls asked for.
        public let steps: Int
        /// The guidance rule.
        public let guidance: Rule
        /// Guidance scale (-1000...1000; >= 1 for the decayed rule).
        public let scale: Double
        /// Power of the decayed rule, (0, 1000].
        public let power: Double
        /// Guidance interval [low, high] on the 0...1000 time scale, or nil (everywhere).
        public let interval: [Double]?
        /// Result format.
        public let format: Format
        /// Solver steps between previews (and one after the last solver step); 0: none.
        public let previewEvery: Int
    }

    /// The checked settings.
    public let settings: Settings
    /// The sampler, built for these settings.
    public let sampler: any Sampler
    /// The guidance rule.
    public let guidance: Guidance
    /// Where guidance applies; nil: everywhere.
    public let interval: GuidanceInterval?

    /// Solver steps the sampler makes (the unit of progress and previews; may be fewer than `settings.steps`).
    public var solverSteps: Int { sampler.stepCount }

    /// Images asked for: classes x per_class.
    public var imageCount: Int { settings.classes.count * settings.perClass }

    /// The label of image k (class-major).
    public func label(ofImage k: Int) -> Int { settings.classes[k / settings.perClass] }

    /// Requests with equal keys may share a network batch; nil for a stochastic sampler, whose noise
    /// depends on the image index within its own request.
    public var batchKey: BatchKey? {
        settings.sampler.isStochastic ? nil
            : BatchKey(sampler: settings.sampler, steps: settings.steps, guidance: settings.guidance,
                       scale: settings.guidance == .none ? 0 : settings.scale,
                       power: settings.guidance == .decayed ? settings.power : 0, interval: settings.interval)
    }

    /// Checks `request` against `model` and `limits`, filling in the defaults.
    /// - Throws: `APIError` (400) naming the field that is missing, out of range or inconsistent.
    public init(_ request: GenerateRequest, model: ModelSummary, limits: ServeConfiguration, schedule: NoiseSchedule) throws {
        let maxImages = limits.maxImagesPerRequest
        let classCount = model.classes.count
        if request.class != nil && request.classes != nil {
            throw APIError.badRequest("classes", "give class or classes, not both")
        }
        let items = request.classes ?? request.class.map { [$0] } ?? (0..<classCount).map { .index($0) }
        let field = request.class != nil ? "class" : "classes"
        guard !items.isEmpty else { throw APIError.badRequest(field, "name at least one class") }
        guard items.count <= maxImages else {
            throw APIError.badRequest(field, "\(items.count) classes is more than the \(maxImages) images a request may ask for")
        }
        let classes = try items.enumerated().map { position, item in
            try Self.resolve(item, field: request.classes == nil ? field : "\(field)[\(position)]", model: model)
        }
        let perClass = request.perClass ?? 4
        guard perClass >= 1, perClass <= maxImages else {
            throw APIError.badRequest("per_class", "must be in 1...\(maxImages), got \(perClass)")
        }
        guard classes.count * perClass <= maxImages else {
            throw APIError.badRequest("per_class", "\(classes.count) classes x \(perClass) per class = \(classes.count * perClass) images, more than the \(maxImages) a request may ask for")
        }
        let samplerText = request.sampler ?? SamplerName.dpmSolver.rawValue
        guard let samplerName = SamplerName(rawValue: samplerText) else {
            throw APIError.badRequest("sampler", "unknown sampler \"\(samplerText.prefix(64))\"; the samplers are \(SamplerName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let steps = request.steps ?? 25
        guard steps >= 1, steps <= limits.maxSteps else {
            throw APIError.badRequest("steps", "must be in 1...\(limits.maxSteps), got \(steps)")
        }
        let seed = request.seed ?? 0
        do {
            sampler = try samplerName.make(schedule: schedule, steps: steps, seed: seed)
        } catch {
            throw APIError.badRequest("steps", "\(error)")
        }
        let ruleText = request.guidance ?? Rule.constant.rawValue
        guard let rule = Rule(rawValue: ruleText) else {
            throw APIError.badRequest("guidance", "unknown guidance rule \"\(ruleText.prefix(64))\"; the rules are constant, decayed, none")
        }
        let scale = request.scale ?? 1.0
        let power = request.power ?? 1.0
        guard scale.isFinite, abs(scale) <= 1000 else { throw APIError.badRequest("scale", "must be a number in -1000...1000, got \(scale)") }
        guard power.isFinite, power > 0, power <= 1000 else { throw APIError.badRequest("power", "must be a number in (0, 1000], got \(power)") }
        switch rule {
        case .constant: guidance = .constant(scale: scale)
        case .decayed:
            guard scale >= 1 else { throw APIError.badRequest("scale", "the decayed rule needs a scale >= 1, got \(scale)") }
            guidance = .decayed(scale: scale, power: power)
        case .none: guidance = .none
        }
        if let ends = request.interval {
            guard ends.count == 2 else { throw APIError.badRequest("interval", "must be two numbers [low, high], got \(ends.count)") }
            do {
                interval = try GuidanceInterval(low: ends[0], high: ends[1], schedule: schedule)
            } catch {
                throw APIError.badRequest("interval", "\(error)")
            }
        } else {
            interval = nil
        }
        let formatText = request.format ?? Format.png.rawValue
        guard let format = Format(rawValue: formatText) else {
            throw APIError.badRequest("format", "unknown format \"\(formatText.prefix(64))\"; the formats are png, npz")
        }
        // Previews count solver steps, the unit of the started and progress events, which some samplers make
        // fewer of than the denoiser calls asked for (dpm-solver: 9 for 25).
        let previewEvery = request.previewEvery ?? 0
        let solverSteps = sampler.stepCount
        guard previewEvery >= 0, previewEvery <= solverSteps else {
            throw APIError.badRequest("preview_every", "must be in 0...\(solverSteps) (0: no previews): it counts solver steps, and "
                                      + "\(samplerName.rawValue) makes \(solverSteps) for \(steps) steps; got \(previewEvery)")
        }
        settings = Settings(classes: classes, perClass: perClass, seed: seed, sampler: samplerName, steps: steps, guidance: rule,
                            scale: scale, power: power, interval: request.interval, format: format, previewEvery: previewEvery)
    }

    /// The class index of `item`: an index in range or a name of the model's.
    private static func resolve(_ item: GenerateRequest.ClassItem, field: String, model: ModelSummary) throws -> Int {
        let count = model.classes.count
        switch item {
        case .index(let k):
            guard k >= 0, k < count else { throw APIError.badRequest(field, "class \(k) is out of range: the model has classes 0...\(count - 1)") }
            return k
        case .name(let name):
            guard !name.contains(","), let found = try? ClassSelection.parse(name, count: count, names: model.classNames),
                  found.count == 1 else {
                throw APIError.badRequest(field, "unknown class \"\(name.prefix(64))\"; GET /v1/models lists the model's classes")
            }
            return found[0]
        }
    }
}
