import Foundation

/// The summary of `dimr-bench model`'s repeats: each figure's median and min-max spread per side, ratios paired
/// within a repeat, and the issue's aims, as JSON and as Markdown tables.
struct ModelReport {
    let options: ModelOptions
    let arms: [ModelBenchmark.Arm]
    /// Each arm's child results, one per repeat, in repeat order.
    let runs: [ModelBenchmark.Arm: [[String: Any]]]
    /// Forward FLOPs of one image (`DiMRConfig.flopsPerForward`).
    let flopsPerImage: Double

    /// A per-run figure: a name, and how it is read from one child's result (nil where missing).
    struct Figure {
        let key: String
        let label: String
        let value: ([String: Any]) -> Double?
    }

    private var trainFLOPs: Double { 3 * flopsPerImage * Double(options.batch) }

    /// The figures reported, in table order.
    var figures: [Figure] {
        let batch = Double(options.batch)
        func number(_ object: Any?) -> Double? { (object as? NSNumber)?.doubleValue }
        func train(_ run: [String: Any], _ phase: String, _ field: String) -> Double? {
            number(((run["train"] as? [String: Any])?[phase] as? [String: Any])?[field])
        }
        func sample(_ run: [String: Any], _ field: String) -> Double? { number((run["sample"] as? [String: Any])?[field]) }
        var out: [Figure] = []
        for on in options.checkpointing {
            let phase = on ? "on" : "off", name = "checkpointing \(phase)"
            out += [
                Figure(key: "train_\(phase)_images_per_s", label: "training images/s, \(name)") { r in
                    train(r, phase, "s_per_step").map { batch / $0 }
                },
                Figure(key: "train_\(phase)_images_per_cpu_s", label: "training images per processor-second, \(name)") { r in
                    train(r, phase, "cpu_s_per_step").map { batch / $0 }
                },
                Figure(key: "train_\(phase)_gflops", label: "training GFLOP/s (model FLOPs), \(name)") { r in
                    train(r, phase, "s_per_step").map { trainFLOPs / $0 / 1e9 }
                },
                Figure(key: "train_\(phase)_fraction_of_matmul_peak", label: "fraction of the same dtype's matmul peak, \(name)") { r in
                    guard let s = train(r, phase, "s_per_step"), let peak = number(r["matmul_gflops"]) else { return nil }
                    return trainFLOPs / s / 1e9 / peak
                },
                Figure(key: "train_\(phase)_peak_mib", label: "training peak resident MiB, \(name)") { r in
                    train(r, phase, "peak_kib").map { $0 / 1024 }
                },
            ]
        }
        out += [
            Figure(key: "sample_images_per_s", label: "guided sampling images/s") { r in
                guard let s = sample(r, "s"), let n = sample(r, "images") else { return nil }
                return n / s
            },
            Figure(key: "sample_images_per_cpu_s", label: "guided sampling images per processor-second") { r in
                guard let s = sample(r, "cpu_s"), let n = sample(r, "images") else { return nil }
                return n / s
            },
            Figure(key: "sample_peak_mib", label: "sampling peak resident MiB") { r in sample(r, "peak_kib").map { $0 / 1024 } },
            Figure(key: "matmul_gflops", label: "matmul 1024^3 GFLOP/s (each side's dtype)") { r in number(r["matmul_gflops"]) },
        ]
        return out
    }

    /// The speed figures ratios are taken of (higher is better in each).
    private var speedKeys: [String] {
        options.checkpointing.flatMap { on -> [String] in
            let phase = on ? "on" : "off"
            return ["train_\(phase)_images_per_s", "train_\(phase)_images_per_cpu_s"]
        } + ["sample_images_per_s", "sample_images_per_cpu_s"]
    }

    /// The spread of `figure` over `arm`'s repeats.
    func spread(_ figure: Figure, _ arm: ModelBenchmark.Arm) -> Spread? {
        Spread((runs[arm] ?? []).map { figure.value($0) ?? .nan })
    }

    /// `ours / theirs` of `figure`, repeat by repeat (the two ran in the same repeat, close in time).
    func ratio(_ figure: Figure, _ ours: ModelBenchmark.Arm, _ theirs: ModelBenchmark.Arm) -> Spread? {
        let a = runs[ours] ?? [], b = runs[theirs] ?? []
        return Spread(zip(a, b).map { (figure.value($0.0) ?? .nan) / (figure.value($0.1) ?? .nan) })
    }

    private var ourArms: [ModelBenchmark.Arm] { arms.filter { if case .ours = $0 { true } else { false } } }
    private var theirArms: [ModelBenchmark.Arm] { arms.filter { if case .authors = $0 { true } else { false } } }

    func json() -> [String: Any] {
        var sides: [String: Any] = [:]
        for arm in arms {
            var row: [String: Any] = [:]
            for f in figures { if let s = spread(f, arm) { row[f.key] = s.json() } }
            sides[arm.key] = row
        }
        var ratios: [String: Any] = [:]
        for ours in ourArms {
            for theirs in theirArms {
                var row: [String: Any] = [:]
                for f in figures where speedKeys.contains(f.key) { if let s = ratio(f, ours, theirs) { row[f.key] = s.json(3) } }
                ratios["\(ours.key)/\(theirs.key)"] = row
            }
        }
        var out: [String: Any] = ["preset": options.preset.name, "batch": options.batch, "steps": options.steps,
                                  "sample_batch": options.sampleBatch, "nfe": options.nfe, "ours_sampler": options.oursSampler.rawValue,
                                  "ours_nfe": options.oursNFE ?? options.nfe, "repeats": options.repeats,
                                  "threads": options.threads ?? -1, "flops_per_image_forward": flopsPerImage,
                                  "flops_per_train_step": trainFLOPs, "sides": sides, "ratios": ratios,
                                  "aims": aims().map { ["aim": $0.aim, "wall": $0.wall?.json(3) ?? [:], "cpu": $0.cpu?.json(3) ?? [:],
                                                        "target": $0.target, "met": $0.met] }]
        if let child = runs.values.first?.first { out["libtorch"] = child["libtorch"] ?? child["torch"] ?? "" }
        return out
    }

    /// One of the issue's aims: our speed over the authors' code with the two changes, float32, same run.
    struct Aim {
        let aim: String
        let wall: Spread?
        let cpu: Spread?
        let target: Double
        /// Met when both the wall-clock and the processor-time medians reach the target.
        var met: Bool { (wall?.median ?? 0) >= target && (cpu?.median ?? 0) >= target }
    }

    func aims() -> [Aim] {
        let fixed = ModelBenchmark.Arm.authors(.fixed)
        guard runs[fixed] != nil else { return [] }
        func figure(_ key: String) -> Figure? { figures.first { $0.key == key } }
        func aim(_ text: String, _ ours: ModelBenchmark.Arm, _ wallKey: String, _ cpuKey: String, _ target: Double) -> Aim? {
            guard runs[ours] != nil, let w = figure(wallKey), let c = figure(cpuKey) else { return nil }
            return Aim(aim: text, wall: ratio(w, ours, fixed), cpu: ratio(c, ours, fixed), target: target)
        }
        let phase = options.checkpointing.contains(false) ? "off" : "on"
        let qualityNote = samplingSettingsDiffer ? " (speed only: the aim needs an equal FID, measured apart in docs/SAMPLING.md)" : ""
        return [
            aim("training, bf16 over their float32 step (checkpointing \(phase) on both)", .ours(.bfloat16),
                "train_\(phase)_images_per_s", "train_\(phase)_images_per_cpu_s", 2),
            aim("training, float32 over their float32 step (checkpointing \(phase) on both)", .ours(.float32),
                "train_\(phase)_images_per_s", "train_\(phase)_images_per_cpu_s", 1.3),
            aim("guided sampling, \(samplingSetting), bf16\(qualityNote)", .ours(.bfloat16), "sample_images_per_s", "sample_images_per_cpu_s", 3),
            aim("guided sampling, \(samplingSetting), float32\(qualityNote)", .ours(.float32), "sample_images_per_s", "sample_images_per_cpu_s", 3),
        ].compactMap { $0 }
    }

    /// How the two sides sampled: the same denoiser calls, or ours with another sampler or call count.
    var samplingSetting: String {
        let oursNFE = options.oursNFE ?? options.nfe
        if theirArms.isEmpty { return "ours \(options.oursSampler.rawValue) at \(oursNFE) denoiser calls" }
        if !samplingSettingsDiffer { return "both the authors' DPM-Solver at \(options.nfe) denoiser calls" }
        return "ours \(options.oursSampler.rawValue) at \(oursNFE) denoiser calls, theirs DPM-Solver at \(options.nfe)"
    }

    /// Whether our side sampled with another setting than theirs: then the sampling ratio compares quality only where
    /// a study (docs/SAMPLING.md) has measured the two settings' FID.
    var samplingSettingsDiffer: Bool { options.oursSampler != .dpmSolver || (options.oursNFE ?? options.nfe) != options.nfe }

    /// Column names of the Markdown tables.
    private func title(_ arm: ModelBenchmark.Arm) -> String {
        switch arm {
        case .ours(let p): "ours \(p.rawValue)"
        case .authors(.published): "authors as published"
        case .authors(.fixed): "authors, two changes"
        }
    }

    func markdown(loads: Spread?, cpu: String) -> String {
        var t = "| figure | " + arms.map(title).joined(separator: " | ") + " |\n"
        t += "| --- |" + String(repeating: " --- |", count: arms.count) + "\n"
        for f in figures {
            let cells = arms.map { arm -> String in
                guard let s = spread(f, arm) else { return "" }
                return f.key.hasSuffix("fraction_of_matmul_peak") ? s.map { $0 * 100 }.cell + " %" : s.cell
            }
            t += "| \(f.label) | " + cells.joined(separator: " | ") + " |\n"
        }
        let pairs = ourArms.flatMap { o in theirArms.map { (o, $0) } }
        if !pairs.isEmpty {
            t += "\n| ratio, ours over theirs (paired per repeat) | "
                + pairs.map { "\(title($0.0)) / \(title($0.1))" }.joined(separator: " | ") + " |\n"
            t += "| --- |" + String(repeating: " --- |", count: pairs.count) + "\n"
            for f in figures where speedKeys.contains(f.key) {
                t += "| \(f.label) | " + pairs.map { ratio(f, $0.0, $0.1).map { $0.cell + "x" } ?? "" }.joined(separator: " | ") + " |\n"
            }
        }
        let checkpointing = options.checkpointing.map { $0 ? "on" : "off" }.joined(separator: ", ")
        t += "\n\(options.preset.name), training batch \(options.batch) (median of \(counted(options.steps, "step")) after a warm-up per run), "
        t += "\(counted(options.sampleBatch, "image")) sampled per run with guidance, \(samplingSetting), checkpointing \(checkpointing); "
        t += "\(counted(options.repeats, "interleaved repeat")), median (min-max); \(counted(options.threads ?? 0, "thread")); \(cpu); "
        t += "model FLOPs \(format(flopsPerImage / 1e6)) MFLOP per image forward, x3 per training image.\n"
        if let loads { t += "Load average (1 min) during the run: \(loads.cell).\n" }
        for a in aims() {
            let wall = a.wall.map { format($0.median) + "x" } ?? "n/a", cpu = a.cpu.map { format($0.median) + "x" } ?? "n/a"
            t += "Aim \(format(a.target))x, \(a.aim): \(wall) wall-clock, \(cpu) processor time: \(a.met ? "met" : "not met").\n"
        }
        return t
    }
}
