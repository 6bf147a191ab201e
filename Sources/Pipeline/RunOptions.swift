import Diffusion
import Torch

/// Options of a training run that do not change its results: how long, how often to save and report.
public struct RunOptions: Sendable {
    /// Train until this many steps are done in total, counting the steps of the run being resumed (0 = none).
    public var steps: Int
    /// Save a checkpoint every this many steps; 0 = only at the end and when interrupted.
    public var checkpointEvery: Int = 500
    /// Write a guided sample grid every this many steps (0 = never).
    public var sampleEvery: Int = 0
    /// Write a metrics record (and, when output is not a terminal, a progress line) every this many steps (at least 1).
    public var logEvery: Int = 10
    /// Sampler steps (network calls) for the periodic grids (at least 1).
    public var sampleSteps: Int = 25
    /// Guidance of the periodic grids.
    public var guidance: Guidance = .constant(scale: 1.0)
    /// Where the grids' guidance applies; nil: at every step.
    public var guidanceInterval: GuidanceInterval?
    /// The arithmetic of training steps and grids (weights, optimizer state and checkpoints are float32 either way).
    public var precision: Precision = .float32

    /// Options for a run of `steps` steps.
    public init(steps: Int) { self.steps = steps }

    /// Throws when an option is out of range, so that nothing is trained before a bad option is found.
    /// - Throws: `PipelineError` naming the `dimr train` option.
    public func validate() throws {
        guard steps >= 0 else { throw PipelineError("--steps must be >= 0, got \(steps)") }
        guard checkpointEvery >= 0 else { throw PipelineError("--checkpoint-every must be >= 0 (0 = only at the end), got \(checkpointEvery)") }
        guard sampleEvery >= 0 else { throw PipelineError("--sample-every must be >= 0 (0 = never), got \(sampleEvery)") }
        guard logEvery >= 1 else { throw PipelineError("--log-every must be at least 1, got \(logEvery)") }
        guard sampleSteps >= 1 else { throw PipelineError("--sample-steps must be at least 1, got \(sampleSteps)") }
        do {
            try guidance.validate()
        } catch {
            throw PipelineError("--guidance-scale: \(error)")
        }
    }
}
