import Autoencoder
import DiMR
import Diffusion
import Foundation
import NN
import Torch

/// One measurement of `dimr-bench large`, run alone in a child process so that its peak resident memory
/// is its own: `dimr-bench large --child KIND ...` prints one JSON object. Peaks are VmHWM in KiB, reset
/// between phases where the kernel allows it (`peak_reset`).
struct LargeProbe {
    /// What the child measures.
    enum Kind: String {
        /// A randomly initialised preset: one guided forward (batch 2B) per batch size B.
        case forward
        /// The KL-f8 autoencoder (random weights) decoding one 4x32x32 latent.
        case decode
        /// A randomly initialised preset alone (the reference for loading).
        case buildRandom = "build-random"
        /// Random initialisation, then the `.pth` read and copied in (the naive load).
        case loadCopy = "load-copy"
        /// `Init.skipping`, then the `.pth` read and assigned (the model takes the loaded tensors).
        case loadAssign = "load-assign"
    }

    let kind: Kind
    let preset: DiMRConfig.Preset
    let batches: [Int]
    let repeats: Int
    let pth: String?

    /// The child's result as a JSON object.
    func run() throws -> [String: Any] {
        var out: [String: Any]
        switch kind {
        case .forward: out = try forward()
        case .decode: out = try decode()
        case .buildRandom, .loadCopy, .loadAssign: out = try load()
        }
        out["threads"] = Torch.numThreads
        return out
    }

    /// Median wall seconds and median CPU seconds (all threads) of `body` over `repeats` calls after one warm-up call.
    private func medianSeconds(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        try body()
        var wall: [Double] = [], cpu: [Double] = []
        for _ in 0..<repeats {
            let start = monotonicNanoseconds(), startCPU = processCPUSeconds()
            try body()
            wall.append(Double(monotonicNanoseconds() - start) / 1e9)
            cpu.append(processCPUSeconds() - startCPU)
        }
        return (median(wall), median(cpu))
    }

    private func forward() throws -> [String: Any] {
        let model = try DiMRModel(config: preset.config, generator: Generator(seed: 0))
        model.eval()
        var out: [String: Any] = ["preset": preset.name, "parameters": model.parameterCount, "build_peak_kib": peakResidentKiB() ?? -1]
        out["peak_reset"] = resetPeakResident()
        let channels = preset.config.channels, size = preset.imageSize
        let nullClass = (preset.config.numClasses ?? 1) - 1
        var rows: [String: Any] = [:]
        for b in batches {
            let g = try Generator(seed: UInt64(b))
            let x = try Tensor.randn([b, channels, size, size], generator: g)
            let classes = try Tensor.randint(0, nullClass, [b], generator: g)
            // The sampler's guided call: one batch of 2B (classes, then the null class), guidance combined.
            let denoiser = try GuidedDenoiser(network: model, classes: classes, nullClass: nullClass, guidance: .constant(scale: 0.4))
            resetPeakResident()
            let seconds = try withNoGrad { try medianSeconds { _ = try denoiser.predictNoise(x, time: 500) } }
            rows[String(b)] = ["batched_s_per_image": seconds.wall / Double(b), "batched_cpu_s_per_image": seconds.cpu / Double(b),
                               "batched_peak_kib": peakResidentKiB() ?? -1]
        }
        out["batches"] = rows
        return out
    }

    private func decode() throws -> [String: Any] {
        let model = try AutoencoderKL(config: .stableDiffusionKLF8, generator: Generator(seed: 0))
        var out: [String: Any] = ["parameters": model.parameterCount, "build_peak_kib": peakResidentKiB() ?? -1]
        out["peak_reset"] = resetPeakResident()
        let latent = try Tensor.randn([1, 4, 32, 32], generator: Generator(seed: 0))
        let seconds = try medianSeconds { _ = try model.decode(latent) }
        out["decode_s"] = seconds.wall
        out["decode_cpu_s"] = seconds.cpu
        out["decode_peak_kib"] = peakResidentKiB() ?? -1
        return out
    }

    /// Peaks are cumulative here (never reset): each is the process's peak up to the end of its phase.
    private func load() throws -> [String: Any] {
        var out: [String: Any] = ["preset": preset.name, "start_kib": residentKiB() ?? -1]
        var start = monotonicNanoseconds()
        let model: DiMRModel
        if kind == .loadAssign {
            model = try Init.skipping { try DiMRModel(config: preset.config) }
        } else {
            model = try DiMRModel(config: preset.config, generator: Generator(seed: 0))
        }
        out["build_s"] = Double(monotonicNanoseconds() - start) / 1e9
        out["build_peak_kib"] = peakResidentKiB() ?? -1
        out["parameters"] = model.parameterCount
        guard kind != .buildRandom else { return out }
        guard let pth else { throw UsageError(message: "--child \(kind.rawValue) needs --pth FILE") }
        start = monotonicNanoseconds()
        let checkpoint = try PyTorchCheckpoint(path: pth)
        out["read_s"] = Double(monotonicNanoseconds() - start) / 1e9
        out["read_peak_kib"] = peakResidentKiB() ?? -1
        start = monotonicNanoseconds()
        try model.loadStateDict(checkpoint.stateDict, assign: kind == .loadAssign)
        out["assign_s"] = Double(monotonicNanoseconds() - start) / 1e9
        out["load_peak_kib"] = peakResidentKiB() ?? -1
        out["after_load_kib"] = residentKiB() ?? -1
        // The weights are the file's: the model's first tensor equals the checkpoint's.
        if let (name, tensor) = checkpoint.tensors.first, let own = model.stateDict()[name] {
            out["first_tensor_matches"] = try (own - tensor).abs().max().item() == 0
        }
        return out
    }
}
