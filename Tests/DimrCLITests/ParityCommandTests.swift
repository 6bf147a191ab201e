import Foundation
import Testing
import Torch

/// The path of a DiMR parity fixture.
private func parityFixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DiMRTests/Fixtures/" + name).path
}

@Suite struct ParityCommandTests {
    @Test("the built dimr parity command passes on a fixture and fails on a perturbed one")
    func commandLine() throws {
        let ok = try runDimr(["parity", parityFixture("tiny2r_ln_blockgrad.safetensors")])
        #expect(ok.status == 0, "\(ok.output + ok.error)")
        #expect((ok.output + ok.error).contains("gradients"))
        #expect((ok.output + ok.error).contains("sampler results"))
        #expect((ok.output + ok.error).contains("parity: ok"))

        let dir = try temporaryFolder()
        let source = try SafeTensorsFile(path: parityFixture("tiny2r_ln_blockgrad.safetensors"))
        var tensors = try source.tensors()
        tensors["model.stages.1.output_layer.2.bias"] = try #require(tensors["model.stages.1.output_layer.2.bias"]) + 0.01
        try SafeTensors.save(tensors, metadata: source.metadata, to: dir + "/perturbed.safetensors")
        let bad = try runDimr(["parity", dir + "/perturbed.safetensors"])
        #expect(bad.status != 0)
        #expect((bad.output + bad.error).contains("FAIL"))

        let missing = try runDimr(["parity", dir + "/absent.safetensors"])
        #expect(missing.status != 0)
        #expect((missing.output + missing.error).contains("absent.safetensors"))
    }

    @Test("--device cpu is the default run; a device this libtorch lacks and a malformed one are refused by name")
    func device() throws {
        let fixture = parityFixture("tiny2r_ln_blockgrad.safetensors")
        let cpu = try runDimr(["parity", fixture, "--device", "cpu"])
        #expect(cpu.status == 0 && cpu.output.contains("parity: ok"), "\(cpu.output + cpu.error)")
        let malformed = try runDimr(["parity", fixture, "--device", "gpu"])
        #expect(malformed.status != 0 && malformed.error.contains("--device must be cpu, cuda or cuda:N, got gpu"), "\(malformed.error)")
        if !Torch.cudaAvailable {
            let cuda = try runDimr(["parity", fixture, "--device", "cuda"])
            #expect(cuda.status != 0 && cuda.error.contains("CUDA device cuda:0 was requested"), "\(cuda.output + cuda.error)")
            #expect(!cuda.output.contains("parity: ok"))
        }
    }
}
