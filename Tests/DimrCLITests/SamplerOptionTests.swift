import Foundation
import Testing

@Suite struct SamplerOptionTests {
    @Test("a bad --guidance-interval is refused before any work, naming the option",
          arguments: ["600,400", "nan,500", "-1,500", "100,1001", "500", "a,b"])
    func badIntervals(value: String) throws {
        // A missing checkpoint: the option must be refused before the file is looked at.
        for command in ["sample", "train"] {
            let arguments = command == "sample" ? ["sample", "/nonexistent/model.safetensors"] : ["train", "--output", "/nonexistent/run"]
            let result = try runDimr(arguments + ["--guidance-interval=" + value])
            #expect(result.status != 0)
            #expect(result.error.contains("--guidance-interval"), "\(command) \(value): \(result.error)")
            #expect(!result.error.contains("/nonexistent"), "\(command) \(value): \(result.error)")
        }
    }

    @Test("the new samplers with a guidance interval: the interval in t and sigma, fewer network evaluations",
          arguments: ["unipc-2", "unipc-3", "dpm-solver++-3m-sde"])
    func guidedInterval(sampler: String) throws {
        let out = try temporaryFolder()
        let result = try runDimr(["sample", bundledModel, "--classes", "3", "--per-class", "1", "--steps", "6",
                                  "--sampler", sampler, "--guidance", "constant", "--scale", "1",
                                  "--guidance-interval", "200,800", "--output", out, "--grid-only", "--threads", "1"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("guidance interval: t in (200, 800] (sigma in ("))
        let line = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("network evaluations per image: ") })
        let evaluations = try #require(Int(line.dropFirst("network evaluations per image: ".count).prefix { $0.isNumber }))
        // 6 conditional passes, plus an unconditional one for the calls inside the interval only.
        #expect(evaluations > 6 && evaluations < 12, "\(line)")
        #expect(FileManager.default.fileExists(atPath: out + "/grid.png"))
    }
}
