import Testing

@Suite("Memory stays bounded over many small operations")
struct MemoryTests {
    @Test func residentMemoryDoesNotGrowOverFiftyThousandIterations() throws {
        let iterations = 50_000
        let result = try runDimrBench(["memory", "--iterations", "\(iterations)", "--warmup", "5000", "--samples", "10"])
        #expect(result["iterations"] as? Int == iterations)
        let samples = try #require(result["rss_kib_samples"] as? [Int])
        #expect(samples.count == 10)
        let start = try #require(result["rss_kib_after_warmup"] as? Int)
        #expect(start > 0)
        #expect(result["checksum_finite"] as? Bool == true)
        // Each iteration makes about 20 tensors; leaking even one 8-element tensor per iteration
        // (several hundred bytes with its libtorch bookkeeping) would add well over 10 MiB.
        let growth = try #require(result["max_growth_kib"] as? Int)
        #expect(growth < 4096, "resident memory grew by \(growth) KiB after the warm-up: \(samples)")
    }
}
