import Foundation
import Torch

/// Runs many small tensor operations (creation, arithmetic, views, cat, random numbers, backward,
/// errors) in a loop and reports the resident memory after a warm-up and along the way, as JSON.
struct MemoryBenchmark {
    static let summary = "resident memory over many small ops (a leak check)"
    static let help = """
        usage: dimr-bench memory [options]

        Runs small tensor operations in a loop and prints the resident set size (VmRSS) after a
        warm-up and at regular points after it, with the growth from the warm-up to the end.

        options:
          --iterations N   loop iterations after the warm-up (default 50000)
          --warmup N       warm-up iterations before the first reading (default 5000)
          --samples N      readings after the warm-up (default 10)

        """

    let iterations: Int
    let warmup: Int
    let samples: Int

    init(arguments: [String]) throws {
        let o = try Options(arguments, valueOptions: ["--iterations", "--warmup", "--samples"], flagOptions: [], help: Self.help)
        iterations = try o.int("--iterations", default: 50_000)
        warmup = try o.int("--warmup", default: 5_000)
        samples = try o.int("--samples", default: 10)
    }

    /// One round of small operations; returns a value derived from the results so nothing is optimised away.
    static func step(_ values: [Float], _ generator: Generator) throws -> Double {
        let a = try Tensor(values, shape: [2, 4])
        let b = try Tensor.ones([2, 4])
        let c = try (a + b) * 2.0 - 1.0
        let d = try c.reshape([4, 2]).transpose(0, 1).contiguous()  // (2, 4)
        let e = try Tensor.cat([a, d], dim: 0)  // (4, 4)
        let parts = try e.chunk(2, dim: 0)
        let w = try Tensor.randn([2, 4], generator: generator).requiresGrad(true)
        let loss = try ((w * a).sigmoid() + parts[0]).sum()
        try loss.backward()
        guard let grad = w.grad else { throw TorchError("no gradient after backward") }
        let frozen = try withNoGrad { try (w * 3.0).exp() }
        let readBack: [Float] = try e.toArray()
        // The error path must not leak either: (2, 4) @ (2, 4) fails.
        let failed = (try? a.matmul(b)) == nil
        return try grad.sum().item() + frozen.mean().item() + Double(readBack[0]) + (failed ? 1 : 0)
    }

    func run() throws {
        let values: [Float] = (0..<8).map { Float($0) * 0.25 }
        let generator = try Generator(seed: 0)
        var sink = 0.0
        for _ in 0..<warmup { sink += try Self.step(values, generator) }
        guard let start = residentKiB() else { throw TorchError("cannot read VmRSS from /proc/self/status") }
        var readings: [Int] = []
        let perSample = Swift.max(iterations / samples, 1)
        var done = 0
        let begin = monotonicNanoseconds()
        while done < iterations {
            let n = Swift.min(perSample, iterations - done)
            for _ in 0..<n { sink += try Self.step(values, generator) }
            done += n
            readings.append(residentKiB() ?? -1)
        }
        let seconds = Double(monotonicNanoseconds() - begin) / 1e9
        let final = readings.last ?? start
        try printJSON([
            "benchmark": "memory",
            "iterations": iterations,
            "warmup": warmup,
            "rss_kib_after_warmup": start,
            "rss_kib_samples": readings,
            "rss_kib_final": final,
            "rss_kib_max": readings.max() ?? start,
            "growth_kib": final - start,
            "max_growth_kib": (readings.max() ?? start) - start,
            "us_per_iteration": rounded(seconds * 1e6 / Double(iterations), 2),
            "checksum_finite": sink.isFinite,
        ])
    }
}
