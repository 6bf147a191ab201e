import Datasets
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

@Suite struct LatentEvalTests {
    @Test("dimr eval samples a latent .pth model with --config, decodes with --autoencoder and saves RGB images")
    func evalLatentModel() throws {
        let root = try temporaryFolder()
        let saved = root + "/latent.npz"
        let run = try runDimr(["eval", fixture("dimr_tiny2r.pth"), "--config", fixture("dimr_tiny2r.json"),
                               "--autoencoder", fixture("vae_tiny.pth"), "-n", "10", "--steps", "2", "--save-samples", saved,
                               "--threads", "1"])
        #expect(run.status == 0, "\(run.error)")
        let npz = try NPZ.read(saved)
        #expect(npz["arr_0"]?.shape == [10, 64, 64, 3])
        #expect(try npz["arr_1"]?.tensor().toArray(Int64.self) == (0..<10).map { Int64($0) })
        #expect(run.output.contains("vae_tiny.pth: latents decoded to RGB"), "\(run.output)")

        let undecoded = try runDimr(["eval", fixture("dimr_tiny2r.pth"), "--config", fixture("dimr_tiny2r.json"), "-n", "10",
                                     "--save-samples", root + "/x.npz"])
        #expect(undecoded.status != 0 && undecoded.error.contains("give --autoencoder"), "\(undecoded.error)")
        let noConfig = try runDimr(["eval", fixture("dimr_tiny2r.pth"), "-n", "10", "--save-samples", root + "/y.npz"])
        #expect(noConfig.status != 0 && noConfig.error.contains("--preset"), "\(noConfig.error)")
    }
}

@Suite struct ExtractAndTrainLatentsTests {
    /// A class folder of JPEGs (gray, 4:2:0, 4:4:4, progressive) and one PNG, made from the codec fixtures.
    func makeFolder(_ root: String) throws -> String {
        let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("DatasetsTests/Fixtures/images").path
        let folder = root + "/photos"
        let layout = ["n01/a.jpg": "jpeg_rgb420.jpg", "n01/b.JPEG": "jpeg_gray.jpg", "n02/c.jpg": "jpeg_rgb444.jpg",
                      "n02/d.jpeg": "jpeg_rgb420_progressive.jpg", "n02/e.png": "palette4.png"]
        for (target, source) in layout {
            let path = folder + "/" + target
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: images + "/" + source, toPath: path)
        }
        return folder
    }

    @Test("extract-latents encodes a JPEG folder into resumable shards, and train --latents trains and resumes on them")
    func extractThenTrain() throws {
        let root = try temporaryFolder()
        let photos = try makeFolder(root)
        let latents = root + "/latents"
        let extract = ["extract-latents", photos, latents, "--autoencoder", fixture("vae_tiny.pth"),
                       "--image-size", "16", "--shard-size", "2", "--batch-size", "2"]
        let first = try runDimr(extract)
        #expect(first.status == 0, "\(first.output)\(first.error)")
        #expect(first.output.contains("5 images in 2 classes"), "\(first.output)")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: latents + "/index.json"))) as? [String: Any]
        #expect(index?["classes"] as? [String] == ["n01", "n02"])
        #expect(index?["moments_shape"] as? [Int] == [8, 8, 8])
        #expect((index?["shards"] as? [Any])?.count == 3)
        let shard = try SafeTensorsFile(path: latents + "/shard-00000.safetensors")
        #expect(try shard.tensor("moments").shape == [2, 2, 8, 8, 8])
        #expect(try shard.tensor("labels").toArray(Int64.self) == [0, 0])
        // The flipped image's moments differ from the image's.
        let moments = try shard.tensor("moments")
        #expect(try (moments.select(dim: 1, index: 0) - moments.select(dim: 1, index: 1)).abs().max().item() > 1e-3)

        // Rerunning continues after the last complete shard: nothing left to do, same files.
        let again = try runDimr(extract)
        #expect(again.status == 0 && again.output.contains("5 images in 3 shards"), "\(again.output)\(again.error)")
        // Another crop size into the same folder is another extraction: refused.
        var other = extract
        other[other.firstIndex(of: "16")!] = "32"
        let refused = try runDimr(other)
        #expect(refused.status != 0 && refused.error.contains("another extraction"), "\(refused.error)")

        let run = root + "/run"
        let train = ["train", "--latents", latents, "--config", fixture("tiny-latent.json"), "--image-size", "8",
                     "--batch-size", "2", "--checkpoint-every", "2", "--output", run]
        let trained = try runDimr(train + ["--steps", "2"])
        #expect(trained.status == 0, "\(trained.output)\(trained.error)")
        #expect(trained.output.contains("latents \(latents)"), "\(trained.output)")
        let resumed = try runDimr(train + ["--steps", "3"])
        #expect(resumed.status == 0 && resumed.output.contains("resuming"), "\(resumed.output)\(resumed.error)")
        #expect(FileManager.default.fileExists(atPath: run + "/checkpoints/step-00000003.safetensors"))

        let wrongSize = try runDimr(train + ["--steps", "1", "--image-size", "16", "--output", root + "/run2"])
        #expect(wrongSize.status != 0 && wrongSize.error.contains("16"), "\(wrongSize.error)")
    }
}
