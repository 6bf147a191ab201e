import DiMR
import Diffusion
import Foundation
import NN
import Pipeline
import Torch

/// Our side of `dimr-bench model`, run in a child process (`dimr-bench model --child`) so that its peak memory is
/// its own: a matmul, guided sampling, then training with checkpointing on and off, each phase's peak resident
/// memory (VmHWM, reset before the phase) in KiB. Prints the same JSON layout as scripts/bench_authors.py.
struct ModelProbe {
    let options: ModelOptions
    var precision: Precision { options.precisions[0] }

    func run() throws -> [String: Any] {
        var out: [String: Any] = ["threads": Torch.numThreads, "libtorch": Torch.version, "precision": precision.rawValue,
                                  "matmul_gflops": try matmulGFLOPs()]
        let p = options.preset
        out["peak_reset"] = resetPeakResident()
        out["sample"] = try sample(p)
        var train: [String: Any] = [:]
        // Smallest first (sampling, then checkpointed training), so memory kept from one phase hides no later peak.
        for checkpointing in [true, false] where options.checkpointing.contains(checkpointing) {
            releaseFreedMemory()
            resetPeakResident()
            train[checkpointing ? "on" : "off"] = try trainSteps(p, checkpointing: checkpointing)
        }
        out["train"] = train
        return out
    }

    /// GFLOP/s of a 1024^3 matmul in the precision's compute type, median of 10 calls after 3 warm-up calls.
    private func matmulGFLOPs() throws -> Double {
        let n = 1024
        let a = try Tensor.randn([n, n]).to(precision.computeType), b = try Tensor.randn([n, n]).to(precision.computeType)
        for _ in 0..<3 { _ = try a.matmul(b) }
        var times: [Double] = []
        for _ in 0..<10 {
            let start = monotonicNanoseconds()
            _ = try a.matmul(b)
            times.append(Double(monotonicNanoseconds() - start) / 1e9)
        }
        return 2 * Double(n * n * n) / median(times) / 1e9
    }

    /// Median wall and processor seconds of one training step (forward, loss, backward, AdamW) over
    /// `options.steps` steps after one warm-up step, and the phase's peak resident KiB.
    private func trainSteps(_ p: DiMRConfig.Preset, checkpointing: Bool) throws -> [String: Any] {
        let fixture = try TrainingStepFixture(preset: p, batch: options.batch, precision: precision, checkpointing: checkpointing)
        var times: [Double] = [], cpuTimes: [Double] = []
        for _ in 0..<(options.steps + 1) {
            let start = monotonicNanoseconds(), cpuStart = processCPUSeconds()
            try fixture.step()
            times.append(Double(monotonicNanoseconds() - start) / 1e9)
            cpuTimes.append(processCPUSeconds() - cpuStart)
        }
        return ["s_per_step": median(Array(times.dropFirst())), "cpu_s_per_step": median(Array(cpuTimes.dropFirst())),
                "peak_kib": peakResidentKiB() ?? -1]
    }

    /// Wall and processor seconds of sampling `options.sampleBatch` images in one batch with `options.oursSampler` (the
    /// authors' DPM-Solver unless given) at `options.oursNFE ?? options.nfe` calls, guidance scale 1 on every call
    /// (conditional and unconditional rows in one forward), after one warm-up call.
    private func sample(_ p: DiMRConfig.Preset) throws -> [String: Any] {
        let model = try DiMRModel(config: p.config, generator: Generator(seed: 0))
        model.eval()
        let nullClass = (p.config.numClasses ?? 2) - 1
        let n = options.sampleBatch
        var sampler = ClassGridSampler(model: model, nullClass: nullClass, imageShape: [p.config.channels, p.imageSize, p.imageSize])
        sampler.precision = precision
        sampler.batchSize = n
        let solver = try options.oursSampler.make(schedule: NoiseSchedule.stableDiffusion(), steps: options.oursNFE ?? options.nfe, seed: 0)
        // The same labels as the authors' side: image i is of class i mod (classes without the null class).
        let classes = (0..<n).map { $0 % nullClass }
        try withNoGrad {
            let g = try Generator(seed: 2)
            let x = try Tensor.randn([2 * n, p.config.channels, p.imageSize, p.imageSize], generator: g)
            let labels = try Tensor((classes + Array(repeating: nullClass, count: n)).map { Int64($0) })
            let logSNR = try NoiseSchedule.timeCondition(Tensor.full([2 * n], 500))
            _ = try MixedPrecisionNetwork(model, precision: precision).predict(x, logSNR: logSNR, classes: labels)
        }
        let start = monotonicNanoseconds(), cpuStart = processCPUSeconds()
        let out = try sampler.sample(classes: classes, perClass: 1, sampler: solver, guidance: .constant(scale: 1), seed: 0)
        let seconds = Double(monotonicNanoseconds() - start) / 1e9, cpu = processCPUSeconds() - cpuStart
        guard out.images.size(0) == n else { throw UsageError(message: "sampled \(out.images.size(0)) images, not \(n)") }
        return ["s": seconds, "cpu_s": cpu, "images": n, "peak_kib": peakResidentKiB() ?? -1]
    }
}
