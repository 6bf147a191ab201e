import Foundation
import Testing
import Torch

/// A file under Tests/DimrCLITests/Fixtures.
private func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

@Suite struct LatentCommandTests {
    @Test("a latent DiMR saved by torch.save is sampled and decoded to RGB by the autoencoder's .pth")
    func sampleLatentModelToRGB() throws {
        let out = try temporaryFolder() + "/rgb"
        let run = try runDimr(["sample", fixture("dimr_tiny2r.pth"), "--config", fixture("dimr_tiny2r.json"),
                               "--autoencoder", fixture("vae_tiny.pth"), "--classes", "0,3", "--per-class", "2",
                               "--steps", "3", "--output", out])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        #expect(run.output.contains("decoded to [3, 64, 64]"), "\(run.output)")
        #expect(run.output.contains("standard scale"))
        let images = try FileManager.default.contentsOfDirectory(atPath: out + "/images").sorted()
        #expect(images == ["00000-class-0.png", "00001-class-0.png", "00002-class-3.png", "00003-class-3.png"])
        #expect(FileManager.default.fileExists(atPath: out + "/grid.png"))
        // The archive holds RGB images of the decoded size, in the ADM layout.
        #expect(FileManager.default.fileExists(atPath: out + "/samples.npz"))
    }

    @Test("without an autoencoder a latent model's samples are written as raw latents, checked before sampling")
    func rawLatents() throws {
        let out = try temporaryFolder() + "/raw"
        let run = try runDimr(["sample", fixture("dimr_tiny2r.pth"), "--config", fixture("dimr_tiny2r.json"),
                               "--classes", "1", "--per-class", "2", "--steps", "2", "--output", out])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        let batch = try SafeTensorsFile(path: out + "/latents/batch-00000.safetensors")
        #expect(try batch.tensor("latents").shape == [2, 4, 32, 32])
        #expect(try batch.tensor("labels").toArray(Int64.self) == [1, 1])

        let noConfig = try runDimr(["sample", fixture("dimr_tiny2r.pth"), "--output", out + "2"])
        #expect(noConfig.status != 0 && noConfig.error.contains("--preset"), "\(noConfig.error)")
        let wrongAutoencoder = try runDimr(["sample", fixture("dimr_tiny2r.pth"), "--preset", "fmnist-3r",
                                            "--output", out + "3"])
        #expect(wrongAutoencoder.status != 0 && wrongAutoencoder.error.contains("does not hold this model's weights"),
                "\(wrongAutoencoder.error)")
    }
}
