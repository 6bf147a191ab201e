import Foundation
import Testing
import DiMR
import Pipeline
import Torch

@Suite("Parity with the authors' PyTorch DiMR")
struct ParityTests {
    @Test("forward, shared-time forward, loss and gradients match the fixture",
          arguments: ParityFixtures.shared + ParityFixtures.generated)
    func fixtureParity(name: String) throws {
        let fixture = try ParityFixture(path: ParityFixtures.path(name))
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
        let fixture = try ParityFixture(path: ParityFixtures.path("tiny2r_tdrmsn.safetensors"))
        let a = try fixture.tensor("output.1"), b = try fixture.tensor("output_same.1")
        #expect(try maxAbsDifference(a, b) > 1e-3)
    }

    @Test("a model with a wrong parameter misses the outputs by far more than the tolerance")
    func detectsWrongWeights() throws {
        let fixture = try ParityFixture(path: ParityFixtures.path("tiny2r_tdrmsn.safetensors"))
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
        let dir = try temporaryFolder()
        let source = try SafeTensorsFile(path: ParityFixtures.path("tiny2r_ln_blockgrad.safetensors"))
        var tensors = try source.tensors()
        let metadata = source.metadata

        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }

        tensors["input.log_snr_same"] = nil
        try SafeTensors.save(tensors, metadata: metadata, to: dir + "/missing.safetensors")
        #expect(message { _ = try ModelParity.run(ParityFixture(path: dir + "/missing.safetensors")) }
            .contains("input.log_snr_same"))

        tensors = try source.tensors()
        tensors["model.stages.0.skip_denses.0.weight"] = try Tensor.zeros([3, 3])
        try SafeTensors.save(tensors, metadata: metadata, to: dir + "/shape.safetensors")
        #expect(message { _ = try ModelParity.run(ParityFixture(path: dir + "/shape.safetensors")) }
            .contains("stages.0.skip_denses.0.weight"))

        var badMetadata = metadata
        badMetadata["config"] = "{not json"
        try SafeTensors.save(try source.tensors(), metadata: badMetadata, to: dir + "/config.safetensors")
        #expect(message { _ = try ParityFixture(path: dir + "/config.safetensors") }.contains("config"))

        badMetadata = metadata
        badMetadata["loss_coeffs"] = "[0.25]"
        try SafeTensors.save(try source.tensors(), metadata: badMetadata, to: dir + "/coeffs.safetensors")
        #expect(message { _ = try ModelParity.run(ParityFixture(path: dir + "/coeffs.safetensors")) }
            .contains("loss_coeffs"))

        tensors = try source.tensors()
        tensors["input.y"] = try tensors["input.y"]?.to(.float32)
        try SafeTensors.save(tensors, metadata: metadata, to: dir + "/dtype.safetensors")
        #expect(message { _ = try ModelParity.run(ParityFixture(path: dir + "/dtype.safetensors")) }
            .contains("input.y"))

        let bytes = try Data(contentsOf: URL(fileURLWithPath: ParityFixtures.path("tiny2r_ln_blockgrad.safetensors")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir + "/truncated.safetensors"))
        #expect(message { _ = try ParityFixture(path: dir + "/truncated.safetensors") } != "no error")
    }
}

/// The DiMR parity fixtures (kept with the DiMR tests).
enum ParityFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DiMRTests/Fixtures")

    /// The path of fixture `name` (with extension).
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The shared fixtures made from the authors' code (with sampler rows).
    static let shared = ["tiny2r_tdrmsn.safetensors", "tiny2r_ln_blockgrad.safetensors"]
    /// Fixtures made by scripts/refs/dimr_fixture.py (other norms, three resolutions).
    static let generated = ["adarmsn2r.safetensors", "rmsn2r.safetensors", "tdrmsn3r.safetensors",
                            "ln3r_blockgrad.safetensors"]
}

/// max |a - b| as a Double.
func maxAbsDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
    try (a.detach().to(.float64) - b.detach().to(.float64)).abs().max().item()
}
