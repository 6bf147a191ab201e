import Foundation
import Testing
@testable import DiMR
import Torch

@Suite("Parity with the authors' PyTorch DiMR")
struct ParityTests {
    @Test("forward, shared-time forward, loss and gradients match the fixture",
          arguments: Fixtures.shared + Fixtures.generated)
    func fixtureParity(name: String) throws {
        let fixture = try ParityFixture(path: Fixtures.path(name))
        let groups = try ModelParity.run(fixture)
        #expect(groups.map(\.name) == ["parameter count", "outputs (per-sample time)", "outputs (shared time)",
                                       "loss targets", "per-sample loss", "gradients"])
        for group in groups {
            #expect(group.passed, "\(name): \(group.name) worst \(group.worst?.error ?? .nan) at \(group.worst?.key ?? "-")")
        }
        let stages = fixture.config.stageConfigs.count
        #expect(groups[1].comparisons.count == stages)
        #expect(groups[2].comparisons.count == stages)
        #expect(groups[3].comparisons.count == stages)
        #expect(groups[5].comparisons.count == fixture.names(withPrefix: "grad.").count)
    }

    @Test("the per-sample and shared-time outputs differ, so both paths are exercised")
    func pathsDiffer() throws {
        let fixture = try ParityFixture(path: Fixtures.path("tiny2r_tdrmsn.safetensors"))
        let a = try fixture.tensor("output.1"), b = try fixture.tensor("output_same.1")
        #expect(try maxAbsDifference(a, b) > 1e-3)
    }

    @Test("a model with a wrong parameter misses the outputs by far more than the tolerance")
    func detectsWrongWeights() throws {
        let fixture = try ParityFixture(path: Fixtures.path("tiny2r_tdrmsn.safetensors"))
        let model = try fixture.makeModel()
        let bias = try #require(model.namedParameters().first { $0.name == "stages.1.blocks.0.block2.w2.bias" })
        try bias.parameter.tensor.add_(Tensor.full(bias.parameter.tensor.shape, 0.01))
        let outputs = try withNoGrad {
            try model.forward(fixture.tensor("input.x"), logSNR: fixture.tensor("input.log_snr"), classes: fixture.tensor("input.y"))
        }
        let error = try outputs[1].relativeError(to: fixture.tensor("output.1"))
        #expect(error > 1e-4)
    }

    @Test("missing tensors, bad metadata and mismatched weights give errors naming the key")
    func corruptFixtures() throws {
        let dir = try TemporaryDirectory()
        let source = try SafeTensorsFile(path: Fixtures.path("tiny2r_ln_blockgrad.safetensors"))
        var tensors = try source.tensors()
        let metadata = source.metadata

        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }

        tensors["input.log_snr_same"] = nil
        try SafeTensors.save(tensors, metadata: metadata, to: dir.path("missing.safetensors"))
        #expect(message { _ = try ModelParity.run(ParityFixture(path: dir.path("missing.safetensors"))) }
            .contains("input.log_snr_same"))

        tensors = try source.tensors()
        tensors["model.stages.0.skip_denses.0.weight"] = try Tensor.zeros([3, 3])
        try SafeTensors.save(tensors, metadata: metadata, to: dir.path("shape.safetensors"))
        #expect(message { _ = try ModelParity.run(ParityFixture(path: dir.path("shape.safetensors"))) }
            .contains("stages.0.skip_denses.0.weight"))

        var badMetadata = metadata
        badMetadata["config"] = "{not json"
        try SafeTensors.save(try source.tensors(), metadata: badMetadata, to: dir.path("config.safetensors"))
        #expect(message { _ = try ParityFixture(path: dir.path("config.safetensors")) }.contains("config"))

        badMetadata = metadata
        badMetadata["loss_coeffs"] = "[0.25]"
        try SafeTensors.save(try source.tensors(), metadata: badMetadata, to: dir.path("coeffs.safetensors"))
        #expect(message { _ = try ModelParity.run(ParityFixture(path: dir.path("coeffs.safetensors"))) }
            .contains("loss_coeffs"))

        tensors = try source.tensors()
        tensors["input.y"] = try tensors["input.y"]?.to(.float32)
        try SafeTensors.save(tensors, metadata: metadata, to: dir.path("dtype.safetensors"))
        #expect(message { _ = try ModelParity.run(ParityFixture(path: dir.path("dtype.safetensors"))) }
            .contains("input.y"))

        let bytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tiny2r_ln_blockgrad.safetensors")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir.path("truncated.safetensors")))
        #expect(message { _ = try ParityFixture(path: dir.path("truncated.safetensors")) } != "no error")
    }

    @Test("the built dimr parity command passes on a fixture and fails on a perturbed one")
    func commandLine() throws {
        let dimr = try #require(builtExecutable("dimr"), "the dimr executable was not built next to the tests")
        let ok = try run(dimr, ["parity", Fixtures.path("tiny2r_ln_blockgrad.safetensors")])
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("gradients"))
        #expect(ok.output.contains("sampler results"))
        #expect(ok.output.contains("parity: ok"))

        let dir = try TemporaryDirectory()
        let source = try SafeTensorsFile(path: Fixtures.path("tiny2r_ln_blockgrad.safetensors"))
        var tensors = try source.tensors()
        tensors["model.stages.1.output_layer.2.bias"] = try #require(tensors["model.stages.1.output_layer.2.bias"]) + 0.01
        try SafeTensors.save(tensors, metadata: source.metadata, to: dir.path("perturbed.safetensors"))
        let bad = try run(dimr, ["parity", dir.path("perturbed.safetensors")])
        #expect(bad.status != 0)
        #expect(bad.output.contains("FAIL"))

        let missing = try run(dimr, ["parity", dir.path("absent.safetensors")])
        #expect(missing.status != 0)
        #expect(missing.output.contains("absent.safetensors"))
    }
}

/// The path of an executable product built beside the test bundle, if present.
func builtExecutable(_ name: String) -> String? {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return nil
}

/// Runs `executable` with `arguments`; returns its exit status and combined output.
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
