import Testing
import Torch

@Suite("Benchmark plumbing works (no timings are asserted)")
struct BenchmarkTests {
    @Test func opsBenchmarkReportsEveryMeasurement() throws {
        let result = try runDimrBench(["ops", "--quick", "--no-python"])
        for key in ["add_8_float32", "layer_norm_4x16x32"] {
            let entry = try #require(result[key] as? [String: Any], "missing \(key)")
            #expect((entry["swift_us"] as? Double ?? 0) > 0)
            #expect((entry["cpp_us"] as? Double ?? 0) > 0)
        }
        let matmul = try #require(result["matmul_256_float32"] as? [String: Any])
        #expect((matmul["swift_gflops"] as? Double ?? 0) > 0)
        #expect((result["python"] as? [String: Any])?["status"] as? String == "skipped")
    }

    @Test func nativeLoopsRunAndReportFailures() throws {
        let a = try Tensor.ones([8]), b = try Tensor.ones([8])
        #expect(try Benchmarks.nativeAdd(a, b, iterations: 10) > 0)
        #expect(try Benchmarks.nativeLayerNorm(Tensor.ones([4, 16, 32]), iterations: 10) > 0)
        #expect(try Benchmarks.nativeMatmul(Tensor.ones([4, 4]), Tensor.ones([4, 4]), iterations: 2) > 0)
        let error = #expect(throws: TorchError.self) { try Benchmarks.nativeAdd(a, Tensor.ones([3]), iterations: 10) }
        #expect(error?.message.contains("must match the size") == true)
        #expect(throws: TorchError.self) { try Benchmarks.nativeMatmul(a, b.reshape([2, 4]), iterations: 1) }
    }
}
