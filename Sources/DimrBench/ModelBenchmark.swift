import DiMR
import Foundation
import Torch

/// `dimr-bench model`: DiMR training steps and guided sampling against the authors' code, like for like, in one
/// run: our side at each precision and the authors' code as published and with the two one-line changes, each a
/// child process per repeat, repeats interleaved; medians with min-max spreads (see `ModelOptions.help`).
struct ModelBenchmark {
    static let summary = "training and guided sampling, ours (float32, bf16) vs the authors' code, interleaved repeats"

    /// One side of the comparison: our code at a precision, or the authors' code.
    enum Arm: Hashable {
        case ours(Precision)
        case authors(ModelOptions.Reference)

        /// The JSON key and column name.
        var key: String {
            switch self {
            case .ours(let p): "ours_\(p.rawValue)"
            case .authors(let r): "authors_\(r.rawValue)"
            }
        }
    }

    var options: ModelOptions

    init(arguments: [String]) throws {
        options = try ModelOptions(arguments: arguments, cpuSupportsBFloat16: Torch.cpuSupportsBFloat16)
        if let threads = options.threads { Torch.numThreads = threads }
        // Both sides get the same thread count: libtorch's default here unless --threads says otherwise.
        options.threads = Torch.numThreads
    }

    func run() throws {
        if options.child {
            let data = try JSONSerialization.data(withJSONObject: ModelProbe(options: options).run(), options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let p = options.preset
        var arms = options.precisions.map { Arm.ours($0) }
        var authorsNote: String?
        let script = findUpwards("scripts/bench_authors.py")
        if let authors = options.authors, options.python != nil, script != nil {
            guard FileManager.default.fileExists(atPath: authors + "/libs/core/blocks.py") else {
                throw UsageError(message: "--authors: \(authors) has no libs/core/blocks.py (a checkout of qihao067/DiMR)")
            }
            arms += options.references.map { Arm.authors($0) }
        } else {
            authorsNote = "skipped: give --authors PATH (their repository) and a Python with torch (--python)"
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dimr-bench-model-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configPath = folder + "/config.json"
        try p.config.toJSON().write(toFile: configPath, atomically: true, encoding: .utf8)
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]

        var runs: [Arm: [[String: Any]]] = [:]
        var loads: [Double] = []
        let started = Date()
        for r in 0..<options.repeats {
            // The order rotates each repeat, so that no side always runs first (or after the same neighbour).
            for i in 0..<arms.count {
                let arm = arms[(i + r) % arms.count]
                let what = "repeat \(r + 1)/\(options.repeats) \(arm.key)"
                FileHandle.standardError.write(Data("dimr-bench model: \(what)\n".utf8))
                loads.append(loadAverage().first ?? .nan)
                let result: [String: Any]
                switch arm {
                case .ours(let precision):
                    result = try runJSONProcess(exe, options.childArguments(precision: precision), what: what)
                case .authors(let reference):
                    guard let python = options.python, let script, let authors = options.authors else { continue }
                    result = try runJSONProcess(python, [script] + options.authorsArguments(reference: reference, repository: authors,
                                                                                            config: configPath), what: what)
                }
                runs[arm, default: []].append(result)
            }
        }
        loads.append(loadAverage().first ?? .nan)

        let report = ModelReport(options: options, arms: arms, runs: runs,
                                 flopsPerImage: p.config.flopsPerForward(imageSize: p.imageSize))
        var result = report.json()
        result["loadavg_1min"] = Spread(loads)?.json(3) ?? [:]
        result["wall_s"] = significant(Date().timeIntervalSince(started), 4)
        result["cpu"] = cpuModel()
        result["omp_wait_policy"] = Self.waitPolicy
        if let authorsNote { result["authors"] = authorsNote }
        let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
        let json = String(decoding: data, as: UTF8.self)
        print(json)
        if let path = options.jsonPath { try (json + "\n").write(toFile: path, atomically: true, encoding: .utf8) }
        let table = report.markdown(loads: Spread(loads), cpu: cpuModel()) + "OMP_WAIT_POLICY: \(Self.waitPolicy).\n"
        FileHandle.standardError.write(Data(table.utf8))
        if let path = options.markdownPath { try table.write(toFile: path, atomically: true, encoding: .utf8) }
    }

    /// OpenMP's wait policy for both sides' threads (the children inherit the environment): unset, idle threads
    /// spin, which on a machine shared with other work burns processor time and stretches the wall clock.
    static var waitPolicy: String { ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] ?? "unset (libgomp spins)" }

    /// The processor's name from /proc/cpuinfo ("model name"), or "unknown CPU".
    private func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let value = line.split(separator: ":", maxSplits: 1).last { return value.trimmingCharacters(in: .whitespaces) }
        }
        return "unknown CPU"
    }
}
