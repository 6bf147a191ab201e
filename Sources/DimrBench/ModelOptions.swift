import DiMR
import Diffusion
import Foundation
import Torch

/// The command line of `dimr-bench model`, checked before any work.
struct ModelOptions {
    /// Which of the authors' code: as published, or with the two one-line changes (`scripts/bench_authors.py --fixed`).
    enum Reference: String, CaseIterable {
        case published
        case fixed
    }

    static let help = """
    usage: dimr-bench model [--preset NAME] [--batch N] [--steps N] [--sample-batch N] [--nfe N] [--repeats N]
                            [--ours-sampler NAME] [--ours-nfe N]
                            [--precisions LIST] [--checkpointing LIST] [--references LIST]
                            [--authors PATH] [--python PATH] [--threads N] [--json PATH] [--markdown PATH]

    Times, --repeats times interleaved (the order rotating each repeat), each side in a child process of its own:
      training   forward + loss + backward + AdamW of the preset at --batch, the median of --steps steps after one
                 warm-up step, with gradient checkpointing off and/or on (--checkpointing off,on);
      sampling   --sample-batch images (the same count on both sides) with the authors' DPM-Solver (order 3) at
                 --nfe denoiser calls, guidance scale 1 on every call, after one warm-up guided call; our side may
                 sample with another solver and call count (--ours-sampler, --ours-nfe: a setting found to give
                 the same quality in fewer calls, docs/SAMPLING.md), which the sampling ratios then include;
      matmul     a 1024^3 matmul in the side's dtype (the peak the training GFLOP/s is a fraction of).
    Our side runs at each of --precisions (default float32, plus bf16 where the CPU has AVX512-BF16 or AMX);
    with --authors (a checkout of the authors' repository, or $DIMR_AUTHORS_REPO) and a Python with torch
    (--python, $DIMR_BENCH_PYTHON or ./.venv/bin/python) scripts/bench_authors.py runs their code float32, as
    published and with the two one-line changes (--references published,fixed). Every figure is the median over
    the repeats with its min-max spread, wall clock and processor time (all threads: the steadier figure when other
    work shares the cores), with peak resident memory (VmHWM of the child, reset before each phase).
    Prints one JSON object on stdout (also to --json PATH) and a Markdown table on stderr (also to --markdown PATH).
    On a machine shared with other work, run it with OMP_WAIT_POLICY=PASSIVE (both sides inherit it) and --threads 1:
    spinning OpenMP threads otherwise inflate wall-clock and processor time alike (by up to 7.5x between repeats on a
    loaded 2-core machine), and threads that sleep and wake on a full machine penalise the side with more parallel regions.

    options (defaults):
      --preset NAME        model configuration (bench)
      --batch N            training batch (32)
      --steps N            timed training steps per child (3)
      --sample-batch N     images sampled per child (10)
      --nfe N              denoiser calls of the authors' DPM-Solver (25)
      --ours-sampler NAME  our side's sampler: dpm-solver, dpm-solver++, ddim, unipc-2, unipc-3 (dpm-solver)
      --ours-nfe N         our side's denoiser calls (--nfe)
      --repeats N          interleaved repeats (5)
      --precisions LIST    float32,bf16 (float32, and bf16 where supported)
      --checkpointing LIST off,on (off,on)
      --references LIST    published,fixed (published,fixed)
      --threads N          libtorch threads on both sides (libtorch's default)

    """

    var preset: DiMRConfig.Preset
    var batch = 32
    var steps = 3
    var sampleBatch = 10
    var nfe = 25
    /// Our side's sampler and its denoiser calls (by default the authors' DPM-Solver at `nfe`).
    var oursSampler = SamplerName.dpmSolver
    var oursNFE: Int?
    var repeats = 5
    var precisions: [Precision]
    var checkpointing: [Bool] = [false, true]
    var references: [Reference] = Reference.allCases
    var authors: String?
    var python: String?
    var threads: Int?
    var jsonPath: String?
    var markdownPath: String?
    /// Set in a child process: measure our side at `precisions[0]` and print one JSON line.
    var child = false

    /// Parses and checks `arguments`; `cpuSupportsBFloat16` decides the default precisions and refuses bf16 where false.
    /// - Throws: `UsageError` naming the option.
    init(arguments: [String], cpuSupportsBFloat16: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let o = try Options(arguments, valueOptions: ["--preset", "--batch", "--steps", "--sample-batch", "--nfe", "--ours-sampler", "--ours-nfe", "--repeats",
                                                      "--precisions", "--checkpointing", "--references", "--authors", "--python",
                                                      "--threads", "--json", "--markdown"],
                            flagOptions: ["--child"], help: Self.help)
        do { preset = try DiMRConfig.preset(named: o.string("--preset") ?? "bench") } catch {
            throw UsageError(message: "--preset: \(error)")
        }
        batch = try o.int("--batch", default: batch)
        steps = try o.int("--steps", default: steps)
        sampleBatch = try o.int("--sample-batch", default: sampleBatch)
        nfe = try o.int("--nfe", default: nfe)
        if let name = o.string("--ours-sampler") {
            guard let sampler = SamplerName(rawValue: name), !sampler.isStochastic else {
                let names = SamplerName.allCases.filter { !$0.isStochastic }.map(\.rawValue).joined(separator: ", ")
                let why = SamplerName(rawValue: name)?.isStochastic == true ? " (a stochastic sampler is not timed here)" : ""
                throw UsageError(message: "--ours-sampler: \(name) is not one of \(names)\(why)")
            }
            oursSampler = sampler
        }
        if o.string("--ours-nfe") != nil { oursNFE = try o.int("--ours-nfe", default: nfe) }
        for (name, sampler, steps) in [("--nfe", SamplerName.dpmSolver, nfe), ("--ours-nfe", oursSampler, oursNFE ?? nfe)] {
            guard steps <= 1000 else { throw UsageError(message: "\(name): \(steps) denoiser calls; at most 1000 (as dimr sample)") }
            do { _ = try sampler.make(schedule: NoiseSchedule.stableDiffusion(), steps: steps, seed: 0) } catch {
                throw UsageError(message: "\(name): \(error)")
            }
        }
        repeats = try o.int("--repeats", default: repeats)
        if o.string("--threads") != nil { threads = try o.int("--threads", default: 1) }
        if let text = o.string("--precisions") {
            precisions = try Self.list(text, "--precisions") {
                guard let p = Precision(rawValue: $0) else { throw UsageError(message: "--precisions: \($0) is not float32 or bf16") }
                return p
            }
            if precisions.contains(.bfloat16) && !cpuSupportsBFloat16 {
                throw UsageError(message: "--precisions: bf16 needs a CPU with AVX512-BF16 or AMX; this one has neither")
            }
        } else {
            precisions = cpuSupportsBFloat16 ? [.float32, .bfloat16] : [.float32]
        }
        if let text = o.string("--checkpointing") {
            checkpointing = try Self.list(text, "--checkpointing") {
                switch $0 {
                case "off": return false
                case "on": return true
                default: throw UsageError(message: "--checkpointing: \($0) is not off or on")
                }
            }
        }
        if let text = o.string("--references") {
            references = try Self.list(text, "--references") {
                guard let r = Reference(rawValue: $0) else { throw UsageError(message: "--references: \($0) is not published or fixed") }
                return r
            }
        }
        authors = o.string("--authors") ?? environment["DIMR_AUTHORS_REPO"]
        python = o.string("--python") ?? findPython()
        jsonPath = o.string("--json")
        markdownPath = o.string("--markdown")
        child = o.flag("--child")
        if child && precisions.count != 1 { throw UsageError(message: "--child measures one precision; got \(precisions.count)") }
    }

    /// A comma-separated list without repeats, each item parsed by `parse`.
    private static func list<T: Equatable>(_ text: String, _ name: String, _ parse: (String) throws -> T) throws -> [T] {
        let items = try text.split(separator: ",", omittingEmptySubsequences: true)
            .map { try parse($0.trimmingCharacters(in: .whitespaces)) }
        guard !items.isEmpty else { throw UsageError(message: "\(name) needs at least one value") }
        var seen: [T] = []
        for item in items where !seen.contains(item) { seen.append(item) }
        return seen
    }

    /// The arguments that make a child of this executable measure our side at `precision`.
    func childArguments(precision: Precision) -> [String] {
        var a = ["model", "--child", "--preset", preset.name, "--batch", String(batch), "--steps", String(steps),
                 "--sample-batch", String(sampleBatch), "--nfe", String(nfe), "--ours-sampler", oursSampler.rawValue,
                 "--ours-nfe", String(oursNFE ?? nfe), "--precisions", precision.rawValue,
                 "--checkpointing", checkpointing.map { $0 ? "on" : "off" }.joined(separator: ",")]
        if let threads { a += ["--threads", String(threads)] }
        return a
    }

    /// The arguments of scripts/bench_authors.py for `reference`, after the script's path.
    func authorsArguments(reference: Reference, repository: String, config: String) -> [String] {
        var a = ["--repo", repository, "--config", config, "--batch", String(batch), "--steps", String(steps),
                 "--image-size", String(preset.imageSize), "--sample-batch", String(sampleBatch), "--nfe", String(nfe),
                 "--checkpointing", checkpointing.map { $0 ? "on" : "off" }.joined(separator: ",")]
        if let threads { a += ["--threads", String(threads)] }
        if reference == .fixed { a.append("--fixed") }
        return a
    }
}
