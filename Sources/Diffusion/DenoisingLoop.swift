import Torch

/// One finished step of a denoising loop.
public struct DenoisingStep: Sendable {
    /// 0-based index of the step.
    public let index: Int
    /// Number of steps in the loop.
    public let count: Int
    /// The time the sample has reached, on the 0...1000 scale (0 = clean).
    public let time: Double
    /// Network passes per image so far (a guided call costs two).
    public let networkEvaluations: Int
    /// The sample after this step (B, C, H, W).
    public let sample: Tensor
}

/// A sampler's state between steps: advances a sample by one solver step.
protocol SolverState: AnyObject {
    /// Number of steps.
    var stepCount: Int { get }
    /// Runs step `index` from `x`; returns the new sample and the time reached (0...1000).
    func advance(_ index: Int, _ x: Tensor) throws -> (sample: Tensor, time: Double)
}

/// A running denoising loop: iterate it to report progress, or call `run()`.
///
/// As a `Sequence` it yields one `Result` per step and stops after the last step or the first
/// error; `step()` is the throwing form. Steps run without autograd.
public final class DenoisingLoop: Sequence, IteratorProtocol {
    /// Each iteration's outcome.
    public typealias Element = Result<DenoisingStep, any Error>

    /// The current sample: the initial noise before the first step, the result after the last.
    public private(set) var sample: Tensor
    /// Steps finished so far.
    public private(set) var completedSteps = 0
    /// Network passes per image so far.
    public private(set) var networkEvaluations = 0
    /// The error that stopped the loop, if any.
    public private(set) var error: (any Error)?
    private let state: any SolverState
    private let predictor: any NoisePredictor
    private let evaluationsBefore: Int

    init(state: any SolverState, noise: Tensor, predictor: any NoisePredictor) {
        self.state = state
        self.sample = noise
        self.predictor = predictor
        self.evaluationsBefore = predictor.networkEvaluations
    }

    /// Number of steps of the whole loop.
    public var stepCount: Int { state.stepCount }

    /// Whether every step has run (or an error stopped the loop).
    public var isFinished: Bool { completedSteps == stepCount || error != nil }

    /// Runs the next step; nil once the loop is finished. Rethrows the error that stopped it.
    public func step() throws -> DenoisingStep? {
        if let error { throw error }
        guard completedSteps < stepCount else { return nil }
        do {
            let index = completedSteps
            let (next, time) = try withNoGrad { try state.advance(index, sample) }
            sample = next
            completedSteps += 1
            networkEvaluations = predictor.networkEvaluations - evaluationsBefore
            return DenoisingStep(index: index, count: stepCount, time: time,
                                 networkEvaluations: networkEvaluations, sample: next)
        } catch {
            self.error = error
            throw error
        }
    }

    /// The next step's outcome, as `IteratorProtocol` wants it.
    public func next() -> Element? {
        guard error == nil else { return nil }
        do {
            guard let finished = try step() else { return nil }
            return .success(finished)
        } catch {
            return .failure(error)
        }
    }

    /// Runs the remaining steps and returns the final sample.
    public func run() throws -> Tensor {
        while try step() != nil {}
        return sample
    }
}
