import DiMR
import Foundation
import Torch

/// Where a training step's time goes: libtorch's operator profiler over a few steps of a preset, summed per
/// operator by self time (as `torch.profiler`'s `key_averages()` sorted by `self_cpu_time_total`).
struct ProfileBenchmark {
    static let summary = "per-operator self time of training steps (libtorch's profiler; Chrome trace)"
    static let help = """
        usage: dimr-bench profile [options]

        Runs one warm-up training step of the preset (forward, loss, backward, AdamW, as `dimr-bench model` times
        it), --steps steps without and then --steps steps under libtorch's operator profiler, and prints the step's
        wall time both ways and the operators by self time per step (their own time, without the operators they
        call) as a Markdown table; shares are of the profiled step.

        options:
          --preset NAME      model configuration (fmnist-3r)
          --precision P      float32 or bf16 (float32)
          --batch N          training batch (32)
          --steps N          profiled steps, at most 10: the recording is held in memory (2)
          --checkpointing    recompute activations in backward (gradient checkpointing)
          --top N            operators listed (25)
          --by-shape         one row per operator and input shapes
          --threads N        libtorch intra-op threads (default: libtorch's own choice)
          --trace PATH       also keep the Chrome trace there (open in Perfetto or chrome://tracing)

        """

    let preset: DiMRConfig.Preset
    let precision: Precision
    let batch: Int
    let steps: Int
    let top: Int
    let checkpointing: Bool
    let byShape: Bool
    let trace: String?

    init(arguments: [String]) throws {
        let o = try Options(arguments, valueOptions: ["--preset", "--precision", "--batch", "--steps", "--top", "--threads", "--trace"],
                            flagOptions: ["--checkpointing", "--by-shape"], help: Self.help)
        do { preset = try DiMRConfig.preset(named: o.string("--preset") ?? "fmnist-3r") } catch {
            throw UsageError(message: "--preset: \(error)")
        }
        let text = o.string("--precision") ?? "float32"
        guard let p = Precision(rawValue: text) else { throw UsageError(message: "--precision: \(text) is not float32 or bf16") }
        do { try p.checkSupport(on: .cpu) } catch { throw UsageError(message: "--precision: \(error)") }
        precision = p
        batch = try o.int("--batch", default: 32)
        steps = try o.int("--steps", default: 2)
        // The profiler keeps its recording in memory, ~100 MB per fmnist-3r step.
        guard steps <= 10 else { throw UsageError(message: "--steps must be in 1...10 (the recording is held in memory), got \(steps)") }
        top = try o.int("--top", default: 25)
        checkpointing = o.flag("--checkpointing")
        byShape = o.flag("--by-shape")
        trace = o.string("--trace")
        if let trace {
            do { try OperatorProfiler.checkTracePath(trace) } catch { throw UsageError(message: "--trace: \(error)") }
        }
        if o.string("--threads") != nil { Torch.numThreads = try o.int("--threads", default: 1) }
    }

    func run() throws {
        let fixture = try TrainingStepFixture(preset: preset, batch: batch, precision: precision, checkpointing: checkpointing)
        try fixture.step()  // warm-up: allocations, oneDNN primitives, autocast caches
        let path = trace ?? FileManager.default.temporaryDirectory.appendingPathComponent("dimr-bench-profile-\(getpid()).json").path
        if trace == nil { ChildWatch.shared.temporary(path) }  // Ctrl-C removes it too
        defer {
            if trace == nil {
                try? FileManager.default.removeItem(atPath: path)
                ChildWatch.shared.temporary(path, false)
            }
        }
        /// Milliseconds per step, mean of `steps` steps.
        func timeSteps() throws -> Double {
            let start = monotonicNanoseconds()
            for _ in 0..<steps { try fixture.step() }
            return Double(monotonicNanoseconds() - start) / 1e6 / Double(steps)
        }
        let plainMs = try timeSteps()
        // The steps alone: the profiler's stop processes and writes the trace afterwards, which is not the steps' time.
        let stepMs = try OperatorProfiler.record(tracePath: path, recordShapes: byShape) { try timeSteps() }
        let profile = try OperatorProfile(tracePath: path, byShape: byShape)
        let perStep = { (us: Double) in us / 1000 / Double(self.steps) }
        var lines = ["\(preset.name), \(precision.rawValue), batch \(batch), checkpointing \(checkpointing ? "on" : "off"), "
                     + "\(counted(Torch.numThreads, "thread")): \(String(format: "%.1f", plainMs)) ms per step, "
                     + "\(String(format: "%.1f", stepMs)) under the profiler (\(String(format: "%.1f", perStep(profile.selfMicroseconds))) "
                     + "of it inside operators), means of \(counted(steps, "step")) each", "",
                     "| operator | calls per step | self ms per step | share of step | total ms per step |", "| --- | --- | --- | --- | --- |"]
        for row in profile.rows.prefix(top) {
            lines.append("| \(row.name) | \(String(format: "%g", Double(row.calls) / Double(steps))) | "
                         + "\(String(format: "%.2f", perStep(row.selfMicroseconds))) | "
                         + "\(String(format: "%.1f", 100 * perStep(row.selfMicroseconds) / stepMs)) % | "
                         + "\(String(format: "%.2f", perStep(row.totalMicroseconds))) |")
        }
        print(lines.joined(separator: "\n"))
        if let trace { print("\ntrace: \(trace)") }
    }
}
