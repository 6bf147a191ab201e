/// The samplers by the names `dimr sample --sampler`, `dimr-bench model --ours-sampler` and a serve request use.
public enum SamplerName: String, CaseIterable, Sendable, Codable {
    /// The authors' DPM-Solver (fast, order 3, time-uniform).
    case dpmSolver = "dpm-solver"
    /// DPM-Solver++ (2M, log-SNR spacing).
    case dpmSolverPlusPlus = "dpm-solver++"
    /// DDIM (eta 0).
    case ddim
    /// UniPC-bh2 of order 2.
    case uniPC2 = "unipc-2"
    /// UniPC-bh2 of order 3.
    case uniPC3 = "unipc-3"
    /// DPM-Solver++ (3M SDE): stochastic, its noise seeded per image by the request's seed.
    case dpmSolverPlusPlus3MSDE = "dpm-solver++-3m-sde"

    /// Whether the sampler draws noise during sampling (then its results depend on the seed beyond the initial noise,
    /// and a network batch can hold only one request).
    public var isStochastic: Bool { self == .dpmSolverPlusPlus3MSDE }

    /// The sampler with `steps` denoiser calls on `schedule`; `seed` seeds a stochastic sampler's noise.
    /// - Throws: the sampler's error for a step count it cannot take.
    public func make(schedule: NoiseSchedule, steps: Int, seed: UInt64) throws -> any Sampler {
        switch self {
        case .dpmSolver: return try AuthorsDPMSolver(schedule: schedule, steps: steps)
        case .dpmSolverPlusPlus: return try DPMSolverPlusPlus(schedule: schedule, steps: steps)
        case .ddim: return try DDIMSampler(schedule: schedule, steps: steps)
        case .uniPC2: return try UniPCSampler(schedule: schedule, steps: steps, order: 2)
        case .uniPC3: return try UniPCSampler(schedule: schedule, steps: steps, order: 3)
        case .dpmSolverPlusPlus3MSDE: return try DPMSolverPlusPlusSDE(schedule: schedule, steps: steps, seed: seed)
        }
    }
}
