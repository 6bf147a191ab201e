import Testing
@testable import DimrBench

@Suite("dimr-bench features: options")
struct FeaturesBenchmarkTests {
    @Test("defaults follow dimr eval's feature batch; non-positive values are refused naming the option")
    func options() throws {
        let defaults = try FeaturesBenchmark(arguments: [])
        #expect(defaults.batch == 50 && defaults.repetitions == 5)
        let given = try FeaturesBenchmark(arguments: ["--batch", "8", "--repetitions", "2"])
        #expect(given.batch == 8 && given.repetitions == 2)
        for bad in [["--batch", "0"], ["--repetitions", "-1"]] {
            #expect(throws: UsageError.self) { try FeaturesBenchmark(arguments: bad) }
        }
    }
}
