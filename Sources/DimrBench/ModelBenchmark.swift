import DiMR
import Diffusion
import Foundation
import NN
import Pipeline
import Torch

/// `dimr-bench model`: one DiMR training step and guided sampling, beside the authors' code in the same run.
struct ModelBenchmark {
    static let summary = "training step and guided sampling of a preset, Swift vs the authors' PyTorch code"
    static let help = """
    usage: dimr-bench model [--preset NAME] [--batch N] [--steps N] [--sample-batch N] [--nfe N]
                            [--authors PATH] [--python PATH] [--threads N] [--no-checkpointing]
                            [--precision float32|bf16]

    Times forward + backward + AdamW of the preset at --batch (median of --steps after one warm-up step),
    with and without gradient checkpointing, and --sample-batch images with the authors' DPM-Solver at
    --nfe denoiser calls with guidance (two network passes per call). With --authors (a checkout of the
    authors' repository; or $DIMR_AUTHORS_REPO) and a Python with torch (--python, $DIMR_BENCH_PYTHON or
    ./.venv/bin/python), scripts/bench_authors.py times their code on the same configuration in the same run.
    --precision bf16 runs our forward passes in bfloat16 mixed precision (the authors' side stays float32).
    Prints one JSON object.

    """

    let preset: String
    let batch: Int
    let steps: Int
    let sampleBatch: Int
    let nfe: Int
    let authors: String?
    let python: String?
    let checkpointing: Bool
    let precision: Precision

    init(arguments: [String]) throws {
        let o = try Options(arguments, valueOptions: ["--preset", "--batch", "--steps", "--sample-batch", "--nfe", "--authors",
                                                      "--python", "--threads", "--precision"],
                            flagOptions: ["--no-checkpointing"], help: Self.help)
        preset = o.string("--preset") ?? "bench"
        batch = try o.int("--batch", default: 32)
        steps = try o.int("--steps", default: 3)
        sampleBatch = try o.int("--sample-batch", default: 16)
        nfe = try o.int("--nfe", default: 25)
        authors = o.string("--authors") ?? ProcessInfo.processInfo.environment["DIMR_AUTHORS_REPO"]
        python = o.string("--python") ?? findPython()
        checkpointing = !o.flag("--no-checkpointing")
        let precisionName = o.string("--precision") ?? Precision.float32.rawValue
        guard let precision = Precision(rawValue: precisionName) else {
            throw UsageError(message: "--precision must be float32 or bf16, got \(precisionName)")
        }
        do { try precision.checkSupport(on: .cpu) } catch { throw UsageError(message: "--precision: \(error)") }
        self.precision = precision
        if let threads = o.string("--threads").flatMap(Int.init) { Torch.numThreads = threads }
    }

    func run() throws {
        let p = try DiMRConfig.preset(named: preset)
        var result: [String: Any] = ["preset": p.name, "batch": batch, "threads": Torch.numThreads, "libtorch": Torch.version,
                                      "precision": precision.rawValue]
        var swift: [String: Any] = [:]
        let train = try trainStep(p, checkpointing: false)
        swift["train_s_per_step"] = train.seconds
        swift["train_cpu_s_per_step"] = train.cpuSeconds
        if checkpointing { swift["train_s_per_step_checkpointing"] = try trainStep(p, checkpointing: true).seconds }
        let sampling = try sampleRate(p)
        swift["sample_images_per_s"] = sampling.imagesPerSecond
        swift["sample_cpu_s_per_image"] = sampling.cpuSecondsPerImage
        result["swift"] = swift
        if let authors, let python {
            let configPath = FileManager.default.temporaryDirectory.appendingPathComponent("dimr-bench-\(getpid()).json").path
            try p.config.toJSON().write(toFile: configPath, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: configPath) }
            var theirs = try runAuthors(python, authors, configPath, p, checkpointing: false, sample: true)
            if checkpointing {
                let ckpt = try runAuthors(python, authors, configPath, p, checkpointing: true, sample: false)
                theirs["train_s_per_step_checkpointing"] = ckpt["train_s_per_step"]
            }
            result["authors"] = theirs
            var ratios: [String: Double] = [:]
            if let a = theirs["train_s_per_step"] as? Double, let s = swift["train_s_per_step"] as? Double {
                ratios["train_speedup_vs_authors_plain"] = a / s
            }
            if let a = theirs["train_s_per_step_checkpointing"] as? Double, let s = swift["train_s_per_step"] as? Double {
                ratios["train_speedup_vs_authors_as_published"] = a / s
            }
            if let a = theirs["sample_images_per_s"] as? Double, let s = swift["sample_images_per_s"] as? Double {
                ratios["sample_speedup_vs_authors"] = s / a
            }
            result["ratios"] = ratios
        } else {
            result["authors"] = "skipped: give --authors PATH (their repository) and a Python with torch"
        }
        let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Median seconds of one training step (forward, loss, backward, AdamW), and the median processor seconds
    /// (all threads; less sensitive than the wall clock to other processes on a shared machine).
    private func trainStep(_ p: DiMRConfig.Preset, checkpointing: Bool) throws -> (seconds: Double, cpuSeconds: Double) {
        let model = try DiMRModel(config: p.config, generator: Generator(seed: 0))
        model.gradientCheckpointing = checkpointing
        model.train()
        let groups = ParameterGroup.grouped(model.namedParameters(), weightDecay: ParameterGroup.noDecay(["nodecay_weight", "nodecay_bias"]))
        let optimizer = try AdamW(groups: groups, learningRate: 2e-4, betas: (0.99, 0.99), weightDecay: 0.03)
        let g = try Generator(seed: 1)
        let s = p.imageSize
        let x = try Tensor.randn([batch, p.config.channels, s, s], generator: g)
        let y = try Tensor.randint(0, (p.config.numClasses ?? 2) - 1, [batch], generator: g)
        let logSNR = try NoiseSchedule.timeCondition(Tensor.randint(1, 1001, [batch], generator: g))
        let network = MixedPrecisionNetwork(model, precision: precision)
        var times: [Double] = [], cpuTimes: [Double] = []
        for _ in 0..<(steps + 1) {
            let start = monotonicNanoseconds(), cpuStart = processCPUNanoseconds()
            let outputs = try network.predict(x, logSNR: logSNR, classes: y)
            var loss = try Tensor.zeros([])
            for (o, c) in zip(outputs, p.lossCoefficients) { loss = try loss + o.square().mean() * c }
            try optimizer.zeroGrad()
            try loss.backward()
            try optimizer.step()
            times.append(Double(monotonicNanoseconds() - start) / 1e9)
            cpuTimes.append(Double(processCPUNanoseconds() - cpuStart) / 1e9)
        }
        return (median(Array(times.dropFirst())), median(Array(cpuTimes.dropFirst())))
    }

    /// Images per second of guided sampling with the authors' DPM-Solver, and processor seconds per image.
    private func sampleRate(_ p: DiMRConfig.Preset) throws -> (imagesPerSecond: Double, cpuSecondsPerImage: Double) {
        let model = try DiMRModel(config: p.config, generator: Generator(seed: 0))
        model.eval()
        let classes = (p.config.numClasses ?? 2) - 1
        var sampler = ClassGridSampler(model: model, nullClass: classes, imageShape: [p.config.channels, p.imageSize, p.imageSize])
        sampler.precision = precision
        let solver = try AuthorsDPMSolver(schedule: NoiseSchedule.stableDiffusion(), steps: nfe)
        let perClass = max(1, sampleBatch / classes)
        let start = monotonicNanoseconds(), cpuStart = processCPUNanoseconds()
        let out = try sampler.sample(classes: Array(0..<classes).map { $0 % classes }, perClass: perClass, sampler: solver,
                                     guidance: .constant(scale: 1), seed: 0)
        let images = Double(out.images.size(0))
        return (images / (Double(monotonicNanoseconds() - start) / 1e9), Double(processCPUNanoseconds() - cpuStart) / 1e9 / images)
    }

    /// Processor time of this process, all threads, in nanoseconds.
    private func processCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    private func runAuthors(_ python: String, _ repo: String, _ config: String, _ p: DiMRConfig.Preset,
                            checkpointing: Bool, sample: Bool) throws -> [String: Any] {
        guard let script = findUpwards("scripts/bench_authors.py") else { throw UsageError(message: "scripts/bench_authors.py not found") }
        var args = [script, "--repo", repo, "--config", config, "--batch", String(batch), "--steps", String(steps),
                    "--image-size", String(p.imageSize), "--threads", String(Torch.numThreads)]
        if checkpointing { args.append("--checkpointing") }
        if sample {
            let classes = (p.config.numClasses ?? 2) - 1
            args += ["--sample-batch", String(max(1, sampleBatch / classes) * classes), "--nfe", String(nfe)]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = args
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw UsageError(message: "the authors' benchmark failed (exit \(process.terminationStatus))") }
        return object
    }
}
