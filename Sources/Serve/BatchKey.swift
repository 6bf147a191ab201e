import Diffusion

/// What requests must share to be sampled in one network batch: the same sampler, steps and guidance.
public struct BatchKey: Hashable, Sendable {
    let sampler: SamplerName
    let steps: Int
    let guidance: JobSpec.Rule
    let scale: Double
    let power: Double
    let interval: [Double]?
}
