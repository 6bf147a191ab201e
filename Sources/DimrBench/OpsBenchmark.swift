import Foundation
import Torch

/// Microseconds per call of small ops through Swift, through libtorch's C++ API directly and through
/// PyTorch eager from Python, plus the GFLOP/s of a large matmul.
///
/// Swift and C++ repetitions alternate so that drift in machine load hits both alike; each figure is
/// the median over repetitions, with the minimum (the least disturbed repetition) beside it.
struct OpsBenchmark {
    static let summary = "per-call cost of small ops: Swift vs libtorch C++ vs PyTorch eager, and matmul GFLOP/s"
    static let help = """
        usage: dimr-bench ops [options]

        Times add of two 8-element float32 tensors and layer_norm (no affine) of a 4x16x32 tensor over
        the last dim through Swift, libtorch C++ and PyTorch eager (Python), and a float32 matmul.

        options:
          --repetitions N             repetitions of each small-op loop (default 31)
          --add-iterations N          calls per repetition for add (default 5000)
          --layer-norm-iterations N   calls per repetition for layer_norm (default 1000)
          --matmul-size N             side of the square matmul (default 1024)
          --matmul-repetitions N      repetitions of the matmul loop (default 5)
          --matmul-iterations N       products per repetition (default 3)
          --threads N                 libtorch intra-op threads (default: libtorch's own choice)
          --quick                     few iterations, for smoke tests
          --no-python                 skip the PyTorch measurement
        PyTorch is run with $DIMR_BENCH_PYTHON, else ./.venv/bin/python, on scripts/bench_ops.py.

        """

    let repetitions: Int
    let addIterations: Int
    let layerNormIterations: Int
    let matmulSize: Int
    let matmulRepetitions: Int
    let matmulIterations: Int
    let usePython: Bool

    init(arguments: [String]) throws {
        let o = try Options(arguments, valueOptions: ["--repetitions", "--add-iterations", "--layer-norm-iterations",
                                                      "--matmul-size", "--matmul-repetitions", "--matmul-iterations",
                                                      "--threads"],
                            flagOptions: ["--quick", "--no-python"], help: Self.help)
        let quick = o.flag("--quick")
        repetitions = try o.int("--repetitions", default: quick ? 3 : 31)
        addIterations = try o.int("--add-iterations", default: quick ? 500 : 5_000)
        layerNormIterations = try o.int("--layer-norm-iterations", default: quick ? 200 : 1_000)
        matmulSize = try o.int("--matmul-size", default: quick ? 256 : 1024)
        matmulRepetitions = try o.int("--matmul-repetitions", default: quick ? 2 : 5)
        matmulIterations = try o.int("--matmul-iterations", default: quick ? 2 : 3)
        usePython = !o.flag("--no-python")
        let threads = try o.int("--threads", default: 0)
        if threads > 0 { Torch.numThreads = threads }
    }

    /// Nanoseconds per call of the Swift and the C++ loop, `count` repetitions each, alternating.
    func interleaved(_ count: Int, _ swift: () throws -> Double, _ cpp: () throws -> Double) throws -> (swift: [Double], cpp: [Double]) {
        var s: [Double] = [], c: [Double] = []
        for _ in 0..<count {
            s.append(try swift())
            c.append(try cpp())
        }
        return (s, c)
    }

    func run() throws {
        // add: two 8-element float32 tensors.
        let a = try Tensor.randn([8]), b = try Tensor.randn([8])
        let add = try interleaved(repetitions, { try timeLoop(addIterations) { _ = try a + b } },
                                  { try Benchmarks.nativeAdd(a, b, iterations: addIterations) })

        // layer_norm without affine weights over the last dim of (4, 16, 32).
        let x = try Tensor.randn([4, 16, 32])
        let layerNorm = try interleaved(repetitions, { try timeLoop(layerNormIterations) { _ = try x.layerNorm([32]) } },
                                        { try Benchmarks.nativeLayerNorm(x, iterations: layerNormIterations) })

        // matmul: (n, n) @ (n, n) float32.
        let n = matmulSize
        let m1 = try Tensor.randn([n, n]), m2 = try Tensor.randn([n, n])
        let matmul = try interleaved(matmulRepetitions, { try timeLoop(matmulIterations) { _ = try m1.matmul(m2) } },
                                     { try Benchmarks.nativeMatmul(m1, m2, iterations: matmulIterations) })
        let flops = 2 * Double(n) * Double(n) * Double(n)

        let python = usePython ? PythonBaseline.run(
            arguments: ["--repetitions", "\(repetitions)", "--add-iterations", "\(addIterations)",
                        "--layer-norm-iterations", "\(layerNormIterations)", "--matmul-size", "\(n)",
                        "--matmul-repetitions", "\(matmulRepetitions)", "--matmul-iterations", "\(matmulIterations)",
                        "--threads", "\(Torch.numThreads)"])
            : .skipped("--no-python")
        let pythonValues: [String: Any]
        if case .measured(let values) = python { pythonValues = values } else { pythonValues = [:] }

        func entry(_ iterations: Int, _ r: (swift: [Double], cpp: [Double]), python key: String) -> [String: Any] {
            let s = median(r.swift), c = median(r.cpp)
            let sMin = r.swift.min() ?? s, cMin = r.cpp.min() ?? c
            var e: [String: Any] = [
                "iterations": iterations, "repetitions": r.swift.count,
                "swift_us": rounded(s / 1000), "cpp_us": rounded(c / 1000),
                "swift_us_min": rounded(sMin / 1000), "cpp_us_min": rounded(cMin / 1000),
                "swift_over_cpp": rounded(s / c), "swift_over_cpp_min": rounded(sMin / cMin),
                "swift_overhead_ns": rounded(s - c, 1),
            ]
            if let us = pythonValues["\(key)_us"] as? Double {
                e["python_us"] = rounded(us)
                e["swift_over_python"] = rounded(s / 1000 / us)
                if let usMin = pythonValues["\(key)_us_min"] as? Double {
                    e["python_us_min"] = rounded(usMin)
                    e["swift_over_python_min"] = rounded(sMin / 1000 / usMin)
                }
            }
            return e
        }
        var mm: [String: Any] = [
            "size": n, "iterations": matmulIterations, "repetitions": matmulRepetitions,
            "swift_gflops": rounded(flops / median(matmul.swift), 1), "cpp_gflops": rounded(flops / median(matmul.cpp), 1),
            "swift_over_cpp": rounded(median(matmul.swift) / median(matmul.cpp)),
        ]
        if let g = pythonValues["matmul_gflops"] as? Double { mm["python_gflops"] = rounded(g, 1) }
        var result: [String: Any] = [
            "benchmark": "ops",
            "libtorch": Torch.version,
            "threads": Torch.numThreads,
            "add_8_float32": entry(addIterations, add, python: "add"),
            "layer_norm_4x16x32": entry(layerNormIterations, layerNorm, python: "layer_norm"),
            "matmul_\(n)_float32": mm,
        ]
        switch python {
        case .measured(let values):
            result["python"] = ["status": "measured", "executable": values["executable"] ?? "",
                                "torch": values["torch"] ?? "", "threads": values["threads"] ?? 0]
        case .skipped(let why):
            result["python"] = ["status": "skipped", "reason": why]
        }
        try printJSON(result)
    }
}

/// PyTorch eager timings from scripts/bench_ops.py, or why they were skipped.
enum PythonBaseline {
    case measured([String: Any])
    case skipped(String)

    /// Runs the script with the configured Python; never throws, a failure becomes `.skipped`.
    static func run(arguments: [String]) -> PythonBaseline {
        guard let python = findPython() else {
            return .skipped("no Python found: set DIMR_BENCH_PYTHON or create ./.venv with torch")
        }
        guard let script = findUpwards("scripts/bench_ops.py") else { return .skipped("scripts/bench_ops.py not found") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            return .skipped("cannot run \(python): \(error.localizedDescription)")
        }
        ChildWatch.shared.running(process)
        defer { ChildWatch.shared.running(nil) }
        // Drain stderr concurrently so a chatty interpreter cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let errors = Box()
        let drained = DispatchGroup()
        DispatchQueue.global().async(group: drained) { errors.data = err.fileHandleForReading.readDataToEndOfFile() }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        drained.wait()
        guard process.terminationStatus == 0 else {
            let tail = String(decoding: errors.data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            return .skipped("\(python) exited with \(process.terminationStatus): \(tail)")
        }
        guard var values = (try? JSONSerialization.jsonObject(with: output)) as? [String: Any] else {
            return .skipped("bench_ops.py printed no JSON object")
        }
        values["executable"] = python
        return .measured(values)
    }
}
