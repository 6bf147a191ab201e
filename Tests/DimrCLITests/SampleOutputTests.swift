import Datasets
import Foundation
import Testing
import Torch

/// What `dimr sample` writes: the ADM evaluator's 3-channel layout, gray PNGs, no stale images beside new
/// ones, a writable folder checked first, class names, the weights kind, and Ctrl-C.
@Suite struct SampleOutputTests {
    private func sample(_ model: String, _ output: String, _ extra: [String]) throws -> RunResult {
        try runDimr(["sample", model, "--steps", "2", "--output", output, "--threads", "1"] + extra)
    }

    @Test("samples.npz holds uint8 NHWC with 3 channels (gray repeated); grid and single PNGs stay gray")
    func evaluatorLayout() throws {
        let root = try temporaryFolder()
        let result = try sample(bundledModel, root + "/S", ["--classes", "0", "--per-class", "2"])
        #expect(result.status == 0, "\(result.error)")
        let npz = try NPZ.read(root + "/S/samples.npz")
        let images = try #require(npz["arr_0"])
        #expect(images.shape == [2, 32, 32, 3])
        #expect(images.dtype == .uint8)
        let bytes: [UInt8] = images.data
        let pixels: [UInt8] = stride(from: 0, to: bytes.count, by: 3).map { bytes[$0] }
        let gray = stride(from: 0, to: bytes.count, by: 3).allSatisfy { (k: Int) -> Bool in
            bytes[k] == bytes[k + 1] && bytes[k] == bytes[k + 2]
        }
        #expect(gray, "the three channels differ")
        #expect(Set(pixels).count > 2, "the images are not blank")
        #expect(npz["arr_1"]?.shape == [2])
        #expect(try PNG.read(root + "/S/grid.png").channels == 1)
        let single = try PNG.read(root + "/S/images/00000-class-0.png")
        #expect(single.channels == 1 && single.width == 32)
        // The single PNG holds the same pixels as the archive's first image (channel 0).
        #expect(single.pixels == Array(pixels.prefix(32 * 32)))
    }

    @Test("--classes takes Fashion-MNIST names as well as indices")
    func classNames() throws {
        let root = try temporaryFolder()
        let result = try sample(bundledModel, root + "/S", ["--classes", "Trouser, ankle-boot,3", "--per-class", "1", "--grid-only"])
        #expect(result.status == 0, "\(result.error)")
        let labels = try #require(try NPZ.read(root + "/S/samples.npz")["arr_1"]).tensor().toArray(Int64.self)
        #expect(labels == [1, 9, 3])
        let unknown = try sample(bundledModel, root + "/U", ["--classes", "jacket", "--per-class", "1"])
        #expect(unknown.status != 0)
        #expect(unknown.error.contains("unknown class \"jacket\"") && unknown.error.contains("9 Ankle boot"), "\(unknown.error)")
        let range = try sample(bundledModel, root + "/U", ["--classes", "10", "--per-class", "1"])
        #expect(range.status != 0)
        #expect(range.error.contains("out of range"))
    }

    @Test("an earlier run's outputs are refused without --overwrite and fully replaced with it")
    func noStaleImages() throws {
        let root = try temporaryFolder()
        #expect(try sample(bundledModel, root + "/S", ["--classes", "0,1", "--per-class", "2"]).status == 0)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: root + "/S/notes.txt"))
        let refused = try sample(bundledModel, root + "/S", ["--classes", "2", "--per-class", "1"])
        #expect(refused.status != 0)
        #expect(refused.error.contains("--overwrite"), "\(refused.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/S/images").count == 4)
        let replaced = try sample(bundledModel, root + "/S", ["--classes", "2", "--per-class", "1", "--overwrite"])
        #expect(replaced.status == 0, "\(replaced.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/S/images") == ["00000-class-2.png"])
        #expect(try NPZ.read(root + "/S/samples.npz")["arr_0"]?.shape == [1, 32, 32, 3])
        #expect(FileManager.default.fileExists(atPath: root + "/S/notes.txt"), "a file that is not ours was removed")
    }

    @Test("an output that cannot be written is refused in plain words before sampling")
    func unwritableOutput() throws {
        let root = try temporaryFolder()
        try Data().write(to: URL(fileURLWithPath: root + "/file"))
        let result = try sample(bundledModel, root + "/file/S", ["--classes", "0", "--per-class", "1"])
        #expect(result.status == 1)
        #expect(result.error.contains("cannot create folder \(root)/file/S: Not a directory"), "\(result.error)")
        #expect(!result.error.contains("Domain"))
        #expect(!result.error.contains("sampled"))
    }

    @Test("a run whose images overflow saves nothing and removes the output folder it created; a folder given is kept")
    func overflowLeavesNoFolder() throws {
        let root = try temporaryFolder()
        let created = try sample(bundledModel, root + "/new", ["--classes", "0", "--per-class", "1", "--steps", "3", "--scale", "1e30"])
        #expect(created.status == 1)
        #expect(created.error.contains("NaN or infinite values") && created.error.contains("nothing of them was saved"), "\(created.error)")
        #expect(!FileManager.default.fileExists(atPath: root + "/new"))
        try FileManager.default.createDirectory(atPath: root + "/given", withIntermediateDirectories: true)
        let given = try sample(bundledModel, root + "/given", ["--classes", "0", "--per-class", "1", "--steps", "3", "--scale", "1e30"])
        #expect(given.status == 1)
        #expect(FileManager.default.fileExists(atPath: root + "/given"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/given/images").isEmpty)
    }

    @Test("the weights kind is printed right: EMA by default, raw with --no-ema, EMA for exported files")
    func weightsKind() throws {
        let root = try tinyFolderCopy()
        #expect(try runDimr(["train", "--dataset", root + "/tiny-folder", "--preset", "fmnist-2r", "--batch-size", "2",
                             "--steps", "1", "--output", root + "/OUT"]).status == 0)
        let checkpoint = root + "/OUT/checkpoints/step-00000001.safetensors"
        let ema = try sample(checkpoint, root + "/S1", ["--classes", "b", "--per-class", "1", "--grid-only"])
        #expect(ema.status == 0, "\(ema.error)")
        #expect(ema.output.contains("(EMA weights)"), "\(ema.output)")
        // Image-folder runs store their class names: "b" is class 1.
        #expect(try #require(try NPZ.read(root + "/S1/samples.npz")["arr_1"]).tensor().toArray(Int64.self) == [1])
        let raw = try sample(checkpoint, root + "/S2", ["--classes", "a", "--per-class", "1", "--grid-only", "--no-ema"])
        #expect(raw.output.contains("(raw weights)"), "\(raw.output)")
        #expect(try runDimr(["export", checkpoint, root + "/exported.safetensors"]).status == 0)
        let exported = try sample(root + "/exported.safetensors", root + "/S3", ["--classes", "b", "--per-class", "1", "--grid-only"])
        #expect(exported.status == 0, "\(exported.error)")
        #expect(exported.output.contains("(EMA weights)"), "\(exported.output)")
        let noEMA = try sample(root + "/exported.safetensors", root + "/S4", ["--classes", "0", "--per-class", "1", "--no-ema"])
        #expect(noEMA.status != 0)
        #expect(noEMA.error.contains("only the EMA weights"))
    }

    @Test("Ctrl-C keeps the images made, writes no partial samples.npz and exits 130")
    func interrupted() throws {
        let root = try temporaryFolder()
        let started = try startDimr(["sample", bundledModel, "--steps", "2", "--per-class", "100000", "--batch-size", "2",
                                     "--output", root + "/S", "--threads", "1"])
        let images = root + "/S/images"
        let appeared = waitFor(seconds: 60) { ((try? FileManager.default.contentsOfDirectory(atPath: images))?.count ?? 0) >= 2 }
        kill(started.process.processIdentifier, SIGINT)
        started.process.waitUntilExit()
        try #require(appeared, "no image was written")
        #expect(started.process.terminationStatus == 130)
        let kept = try FileManager.default.contentsOfDirectory(atPath: images)
        #expect(kept.count >= 2)
        for name in kept { _ = try PNG.read(images + "/" + name) }
        #expect(FileManager.default.fileExists(atPath: root + "/S/grid.png"))
        let left = try FileManager.default.contentsOfDirectory(atPath: root + "/S")
        #expect(!left.contains("samples.npz"))
        #expect(!left.contains { $0.contains(".tmp-") }, "\(left)")
    }
}
