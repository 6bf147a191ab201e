import DiMR
import Foundation
import NN
import Torch

/// `dimr-bench large`: the paper's models on this CPU. Time and peak resident memory of one guided forward of
/// DiMR-XL/2R and DiMR-G/2R, of the autoencoder's decode, and of loading a 2 GB `.pth`; each measurement in
/// its own child process, the authors' code beside it in the same run.
struct LargeBenchmark {
    static let summary = "DiMR-XL/2R and G/2R: guided forward, autoencoder decode, .pth load; time and peak memory"
    static let help = """
    usage: dimr-bench large [--models LIST] [--batches LIST] [--repeats N] [--threads N] [--parts LIST]
                            [--authors PATH] [--python PATH] [--tmp DIR]

    Measures, each in a child process of its own so that peaks do not mix (peak = VmHWM of that process):
      forward  for each model (random weights in the preset's exact shapes) and each batch size B, one guided
               forward as the sampler runs it: one batch of 2B (classes, then the null class) on 4x32x32
               latents; wall and CPU seconds per image (medians of --repeats after one warm-up) and peak
               resident memory. CPU seconds (all threads) change less when other work shares the cores.
      decode   the KL-f8 autoencoder (random weights) decoding one 4x32x32 latent: seconds and peak.
      load     a random-weights DiMR-XL/2R state dict written by PyTorch (torch.save, about 2 GB, in a temporary
               folder under --tmp, deleted afterwards), loaded three ways: a randomly initialised model alone
               (the reference), random init + PyTorchCheckpoint + loadStateDict (copy), and Init.skipping +
               PyTorchCheckpoint + loadStateDict(assign: true). Needs a Python with torch.
    With --authors (a checkout of the authors' repository; or $DIMR_AUTHORS_REPO) and a Python with torch
    (--python, $DIMR_BENCH_PYTHON or ./.venv/bin/python), scripts/bench_authors_large.py measures their code on
    the same configurations: their forward both batched as 2B and as their eval.py calls it (two passes of B),
    their autoencoder's decode, and their model alone and loading the same file.
    Prints one JSON object on stdout and a table on stderr. Run nothing else large at the same time.

    options:
      --models LIST    presets, comma-separated (default DiMR-XL/2R,DiMR-G/2R)
      --batches LIST   images per guided call (default 1,4)
      --repeats N      timed repeats after the warm-up (default 3)
      --threads N      libtorch threads, here and in the authors' runs (default: libtorch's)
      --parts LIST     forward,decode,load (default all three)
      --tmp DIR        where the .pth is written (default the system's temporary folder)

    """

    let models: [DiMRConfig.Preset]
    let batches: [Int]
    let repeats: Int
    let parts: Set<String>
    let authors: String?
    let python: String?
    let temporary: String
    let child: LargeProbe?

    init(arguments: [String]) throws {
        let o = try Options(arguments, valueOptions: ["--models", "--batches", "--repeats", "--threads", "--parts", "--authors",
                                                      "--python", "--tmp", "--child", "--preset", "--pth"],
                            flagOptions: [], help: Self.help)
        func list(_ name: String, _ fallback: String) -> [String] {
            (o.string(name) ?? fallback).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        models = try list("--models", "DiMR-XL/2R,DiMR-G/2R").map { try DiMRConfig.preset(named: $0) }
        batches = try list("--batches", "1,4").map {
            guard let b = Int($0), b > 0 else { throw UsageError(message: "--batches needs positive integers, got \($0)") }
            return b
        }
        repeats = try o.int("--repeats", default: 3)
        parts = Set(list("--parts", "forward,decode,load"))
        for part in parts where !["forward", "decode", "load"].contains(part) {
            throw UsageError(message: "--parts: unknown part \(part) (forward, decode, load)")
        }
        authors = o.string("--authors") ?? ProcessInfo.processInfo.environment["DIMR_AUTHORS_REPO"]
        python = o.string("--python") ?? findPython()
        temporary = o.string("--tmp") ?? FileManager.default.temporaryDirectory.path
        if o.string("--threads") != nil { Torch.numThreads = try o.int("--threads", default: 1) }
        if let kind = o.string("--child") {
            guard let k = LargeProbe.Kind(rawValue: kind) else { throw UsageError(message: "--child: unknown kind \(kind)") }
            child = LargeProbe(kind: k, preset: try DiMRConfig.preset(named: o.string("--preset") ?? "DiMR-XL/2R"),
                               batches: batches, repeats: repeats, pth: o.string("--pth"))
        } else {
            child = nil
        }
    }

    func run() throws {
        if let child {
            // One line: the parent reads the last line of a child's stdout.
            let data = try JSONSerialization.data(withJSONObject: child.run(), options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var result: [String: Any] = ["benchmark": "large", "threads": Torch.numThreads, "libtorch": Torch.version,
                                     "repeats": repeats, "batches": batches, "loadavg_start": loadAverage()]
        let authorsScript = findUpwards("scripts/bench_authors_large.py")
        let withAuthors = authors != nil && python != nil && authorsScript != nil
        if !withAuthors { result["authors"] = "skipped: give --authors PATH (their repository) and a Python with torch" }
        let folder = URL(fileURLWithPath: temporary).appendingPathComponent("dimr-bench-large-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        /// The authors' script in `mode`, or the reason it did not run.
        func theirs(_ mode: String, _ arguments: [String]) -> Any {
            guard withAuthors, let authors, let python, let authorsScript else { return "skipped" }
            do {
                return try runJSONProcess(python, [authorsScript, mode, "--repo", authors, "--threads", String(Torch.numThreads),
                                                   "--repeats", String(repeats)] + arguments, what: "the authors' \(mode)")
            } catch {
                return "failed: \(error)"
            }
        }
        func configFile(_ p: DiMRConfig.Preset) throws -> String {
            let path = folder + "/" + p.name.replacingOccurrences(of: "/", with: "_") + ".json"
            try p.config.toJSON().write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        if parts.contains("forward") {
            var rows: [String: Any] = [:]
            for p in models {
                var row: [String: Any] = ["swift": try ours(.forward, p)]
                row["authors"] = theirs("forward", ["--config", try configFile(p), "--batches", batches.map(String.init).joined(separator: ","),
                                                    "--image-size", String(p.imageSize)])
                row["ratios"] = LargeReport.forwardRatios(row, batches: batches)
                rows[p.name] = row
            }
            result["forward"] = rows
        }
        if parts.contains("decode") {
            var row: [String: Any] = ["swift": try ours(.decode, models[0])]
            row["authors"] = theirs("decode", [])
            row["ratios"] = LargeReport.ratios(row, [("decode_s", "decode_s"), ("decode_cpu_s", "decode_cpu_s"),
                                                     ("decode_peak_kib", "decode_peak_kib")])
            result["decode"] = row
        }
        if parts.contains("load") {
            result["load"] = try load(folder: folder, theirs: theirs, configFile: configFile)
        }
        result["loadavg_end"] = loadAverage()
        try printJSON(result)
        FileHandle.standardError.write(Data(LargeReport.table(result, batches: batches).utf8))
    }

    /// Runs one of our measurements in a child process of this executable.
    private func ours(_ kind: LargeProbe.Kind, _ p: DiMRConfig.Preset, pth: String? = nil) throws -> [String: Any] {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var arguments = ["large", "--child", kind.rawValue, "--preset", p.name, "--batches", batches.map(String.init).joined(separator: ","),
                         "--repeats", String(repeats), "--threads", String(Torch.numThreads)]
        if let pth { arguments += ["--pth", pth] }
        FileHandle.standardError.write(Data("dimr-bench large: \(kind.rawValue) \(p.name)\n".utf8))
        return try runJSONProcess(exe, arguments, what: "dimr-bench large --child \(kind.rawValue)")
    }

    /// Writes a random DiMR-XL/2R state dict with PyTorch and measures loading it (ours three ways, theirs once).
    private func load(folder: String, theirs: (String, [String]) -> Any, configFile: (DiMRConfig.Preset) throws -> String) throws -> [String: Any] {
        guard let python, let script = findUpwards("scripts/bench_authors_large.py") else {
            return ["skipped": "needs a Python with torch (--python) and scripts/bench_authors_large.py to write the .pth"]
        }
        let p = try DiMRConfig.preset(named: "DiMR-XL/2R")
        let shapesPath = folder + "/shapes.json"
        do {
            // Names and shapes only: built without initialising, so it commits next to no memory.
            let model = try Init.skipping { try DiMRModel(config: p.config) }
            let tensors = model.namedParameters().map { ($0.name, $0.parameter.tensor) } + model.namedBuffers().map { ($0.name, $0.tensor) }
            for (name, t) in tensors where t.dtype != .float32 {
                throw UsageError(message: "\(name) is \(t.dtype); the .pth writer handles float32 only")
            }
            let shapes: [[Any]] = tensors.map { [$0.0, $0.1.shape] }
            try JSONSerialization.data(withJSONObject: shapes).write(to: URL(fileURLWithPath: shapesPath))
        }
        let pth = folder + "/DiMR-XL_2R_random.pth"
        FileHandle.standardError.write(Data("dimr-bench large: writing a random DiMR-XL/2R state dict with torch.save\n".utf8))
        let written = try runJSONProcess(python, [script, "write-pth", "--shapes", shapesPath, "--out", pth], what: "writing the .pth")
        var out: [String: Any] = ["file_bytes": written["bytes"] ?? -1, "preset": p.name]
        out["swift_random"] = try ours(.buildRandom, p)
        out["swift_copy"] = try ours(.loadCopy, p, pth: pth)
        out["swift_assign"] = try ours(.loadAssign, p, pth: pth)
        out["authors"] = theirs("load", ["--config", try configFile(p), "--pth", pth])
        try? FileManager.default.removeItem(atPath: pth)
        out["ratios"] = LargeReport.loadRatios(out)
        return out
    }
}
