import Foundation
import Testing
import Torch

/// The path of an autoencoder parity fixture.
private func autoencoderFixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AutoencoderTests/Fixtures/" + name).path
}

@Suite struct AutoencoderParityCommandTests {
    @Test("the built dimr parity checks an autoencoder fixture and fails on a perturbed one")
    func commandLine() throws {
        let ok = try runDimr(["parity", autoencoderFixture("vae_attn16_embed3.safetensors")])
        let text = ok.output + ok.error
        #expect(ok.status == 0, "\(text)")
        for line in ["moments", "latent", "decoded"] {
            #expect(text.split(separator: "\n").contains { $0.hasPrefix(line) && $0.hasSuffix("ok") },
                    "no passing \(line) line in \(text)")
        }
        #expect(text.contains("KL autoencoder: ch 32, ch_mult [1, 1, 1]"))
        #expect(text.contains("parity: ok"))

        let dir = try temporaryFolder()
        let source = try SafeTensorsFile(path: autoencoderFixture("vae_attn16_embed3.safetensors"))
        var tensors = try source.tensors()
        let key = "model.decoder.up.1.attn.0.proj_out.bias"
        tensors[key] = try #require(tensors[key]) + 0.01
        try SafeTensors.save(tensors, metadata: source.metadata, to: dir + "/perturbed.safetensors")
        let bad = try runDimr(["parity", dir + "/perturbed.safetensors"])
        #expect(bad.status != 0)
        #expect((bad.output + bad.error).contains("FAIL"))

        tensors[key] = nil
        try SafeTensors.save(tensors, metadata: source.metadata, to: dir + "/missing.safetensors")
        let missing = try runDimr(["parity", dir + "/missing.safetensors"])
        #expect(missing.status != 0)
        #expect((missing.output + missing.error).contains("missing keys: decoder.up.1.attn.0.proj_out.bias"))
    }
}
