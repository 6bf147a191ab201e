import Autoencoder
import Foundation
import Pipeline
import Testing
import Torch

@Suite("Parity with the authors' KL autoencoder")
struct ParityTests {
    // Tolerance 1e-5 (max |ours - ref| / max |ref|) is the fixtures' contract. Why it holds on any x86-64 CPU: ours
    // and the reference are two float32 evaluations of one computation, each within ε of the exact result, so they
    // differ by at most 2ε. The depth (up to 48 chained convolutions of up to 577-term dot products, GroupNorms
    // over 1-channel groups) makes Higham's worst-case γ_n κ bound too loose to use, so ε is measured instead by
    // running our model in float64: `accurateToHalfTolerance` checks that each side stays within 5e-6 of it (measured:
    // at most 1.7e-6 for the reference and for ours), which bounds their difference by 1e-5.
    static let tolerance = 1e-5

    @Test("moments, latent and decoding match the authors' numbers", arguments: Fixtures.all)
    func fixtureParity(name: String) throws {
        let fixture = try AutoencoderFixture(path: Fixtures.path(name))
        let groups = try AutoencoderParity.run(fixture)
        #expect(groups.map(\.name) == ["moments", "latent", "decoded"])
        #expect(AutoencoderParity.tolerance == ParityTests.tolerance)
        for group in groups {
            #expect(group.passed, "\(name): \(group.name) error \(group.worst?.error ?? .nan)")
        }
    }

    @Test("each float32 evaluation, ours and the reference, is within half the tolerance of a float64 one",
          arguments: Fixtures.all)
    func accurateToHalfTolerance(name: String) throws {
        let fixture = try AutoencoderFixture(path: Fixtures.path(name))
        let model32 = try fixture.makeModel(), model64 = try fixture.makeModel()
        try model64.to(dtype: .float64)
        let image = try fixture.tensor("input.image"), noise = try fixture.tensor("input.noise")
        func chain(_ model: AutoencoderKL, _ dtype: DType) throws -> [Tensor] {
            let moments = try model.encodeMoments(image.to(dtype))
            let latent = try model.latent(moments: moments, noise: noise.to(dtype))
            return [moments, latent, try model.decode(latent)]
        }
        let exact = try chain(model64, .float64), ours = try chain(model32, .float32)
        for (i, key) in ["output.moments", "output.latent", "output.decoded"].enumerated() {
            let reference = try fixture.tensor(key)
            #expect(try reference.relativeError(to: exact[i]) <= ParityTests.tolerance / 2, "\(name) \(key): reference")
            #expect(try ours[i].relativeError(to: exact[i]) <= ParityTests.tolerance / 2, "\(name) \(key): ours")
        }
    }

    @Test("a slightly wrong weight misses the decoding by more than the tolerance")
    func detectsWrongWeights() throws {
        let fixture = try AutoencoderFixture(path: Fixtures.path("vae_tiny.safetensors"))
        var weights = try fixture.stateDict()
        let key = "decoder.up.0.block.1.norm2.bias"
        weights[key] = try #require(weights[key]) + 0.01
        let model = try AutoencoderKL(config: fixture.config, weights: weights)
        let decoded = try model.decode(fixture.tensor("output.latent"))
        #expect(try decoded.relativeError(to: fixture.tensor("output.decoded")) > 10 * ParityTests.tolerance)
    }

    @Test("a fixture with a missing tensor, bad metadata or wrong weights fails naming the key")
    func brokenFixtures() throws {
        let source = try SafeTensorsFile(path: Fixtures.path("vae_attn16_embed3.safetensors"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vae-parity-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        func variant(_ name: String, tensors edit: (inout [String: Tensor]) throws -> Void = { _ in },
                     metadata editMetadata: (inout [String: String]) -> Void = { _ in }) throws -> String {
            var tensors = try source.tensors(), metadata = source.metadata
            try edit(&tensors)
            editMetadata(&metadata)
            let path = dir + "/" + name
            try SafeTensors.save(tensors, metadata: metadata, to: path)
            return errorMessage { _ = try AutoencoderParity.run(AutoencoderFixture(path: path)) }
        }

        #expect(try variant("no_noise.safetensors", tensors: { $0["input.noise"] = nil }).contains("input.noise"))
        #expect(try variant("no_embed.safetensors", metadata: { $0["embed_dim"] = nil }).contains("embed_dim"))
        #expect(try variant("bad_embed.safetensors", metadata: { $0["embed_dim"] = "three" }).contains("embed_dim"))
        #expect(try variant("bad_ddconfig.safetensors", metadata: { $0["ddconfig"] = "{\"ch\": 32}" }).contains("ddconfig"))
        let extra = try variant("extra.safetensors", tensors: { $0["model.encoder.extra.weight"] = try Tensor.zeros([1]) })
        #expect(extra.contains("unexpected keys: encoder.extra.weight"))
        let missing = try variant("missing.safetensors", tensors: { $0["model.quant_conv.bias"] = nil })
        #expect(missing.contains("missing keys: quant_conv.bias"))
        let shape = try variant("shape.safetensors", tensors: { $0["model.post_quant_conv.bias"] = try Tensor.zeros([5]) })
        #expect(shape.contains("post_quant_conv.bias"))
        let image = try variant("image.safetensors", tensors: { $0["input.image"] = try Tensor.zeros([2, 3, 30, 32]) })
        #expect(image.contains("multiple of 4"))
    }
}
