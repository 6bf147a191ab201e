import DiMR
import Foundation
import Pipeline
import Testing
import Torch

/// Writes `files` (relative path, byte count) under a fresh folder; returns the folder.
private func makeFiles(_ files: [(String, Int)], in root: String) throws -> String {
    let folder = root + "/data"
    for (name, size) in files {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 7, count: size).write(to: URL(fileURLWithPath: path))
    }
    return folder
}

@Suite struct ResumeIdentityTests {
    @Test("an image folder's identity ignores the path's spelling and sees names and sizes")
    func folderIdentity() throws {
        let root = try temporaryFolder()
        let folder = try makeFiles([("a/0.png", 10), ("a/1.png", 11), ("b/0.png", 12)], in: root)
        func identity(_ path: String) throws -> DataIdentity {
            try DataIdentity.imageFolder(root: path, paths: ["a/0.png", "a/1.png", "b/0.png"].map { path + "/" + $0 })
        }
        let base = try identity(folder)
        #expect(base.images == 3 && base.kind == "image-folder" && base.fingerprint.count == 16)
        for spelling in [folder + "/", folder + "//", root + "/./data", root + "/data/../data"] {
            #expect(try identity(spelling).sameData(as: base), "\(spelling)")
        }
        try FileManager.default.moveItem(atPath: folder, toPath: root + "/moved")
        #expect(try identity(root + "/moved").sameData(as: base))
        // One byte more in one file.
        try Data(repeating: 7, count: 11).write(to: URL(fileURLWithPath: root + "/moved/a/0.png"))
        #expect(try !identity(root + "/moved").sameData(as: base))
        try Data(repeating: 7, count: 10).write(to: URL(fileURLWithPath: root + "/moved/a/0.png"))
        #expect(try identity(root + "/moved").sameData(as: base))
        // A renamed class folder.
        try FileManager.default.moveItem(atPath: root + "/moved/b", toPath: root + "/moved/c")
        let renamed = try DataIdentity.imageFolder(root: root + "/moved", paths: ["a/0.png", "a/1.png", "c/0.png"].map { root + "/moved/" + $0 })
        #expect(!renamed.sameData(as: base))
    }

    @Test("Fashion-MNIST's identity follows the data, not the folder")
    func fashionIdentity() throws {
        let values: [Float] = (0..<(4 * 32 * 32)).map { k in Float(k % 256) / 127.5 - 1 }
        let images = try Tensor(values, shape: [4, 1, 32, 32])
        let labels = try Tensor([Int64(0), 1, 2, 3])
        let a = try DataIdentity.fashionMNIST(images: images, labels: labels, source: "/usr/share/x")
        let b = try DataIdentity.fashionMNIST(images: images, labels: labels, source: "elsewhere")
        #expect(a.sameData(as: b))
        let other = try DataIdentity.fashionMNIST(images: images, labels: try Tensor([Int64(0), 1, 2, 2]), source: "x")
        #expect(!a.sameData(as: other))
        let shifted = try DataIdentity.fashionMNIST(images: images.flip([3]), labels: labels, source: "x")
        #expect(!a.sameData(as: shifted))
    }

    @Test("configuration differences name the option and both values; data paths are not compared")
    func differences() throws {
        let saved = tinyTrainingConfig(dataset: .imageFolder(path: "data"))
        var current = tinyTrainingConfig(dataset: .imageFolder(path: "/somewhere/else/data/"))
        #expect(try ConfigDifference.lines(saved: saved, current: current).isEmpty)
        current.learningRate = 5e-4
        current.gradClip = 2
        var wider = tinyConfig()
        wider.stageConfigs[1].dim = 12
        current.model = .dimr(wider)
        current.lossCoefficients = [0.5, 1]
        let lines = try ConfigDifference.lines(saved: saved, current: current)
        #expect(lines.contains("--lr: 0.001 in the checkpoint, 0.0005 in this run"), "\(lines)")
        #expect(lines.contains("--grad-clip: none in the checkpoint, 2 in this run"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("model stage_configs[1].dim") && $0.contains("8 in the checkpoint, 12 in this run") }, "\(lines)")
        #expect(lines.contains("--loss-coeffs: [0.25,1] in the checkpoint, [0.5,1] in this run"), "\(lines)")
        #expect(lines.count == 4)
        let fashion = tinyTrainingConfig(dataset: .fashionMNIST(directory: nil))
        #expect(try ConfigDifference.lines(saved: saved, current: fashion) == ["--dataset: image folder in the checkpoint, fashion-mnist in this run"])
    }

    @Test("a checkpoint of other data is refused naming both data sets; the same data under another path restores")
    func restoreComparesData() throws {
        let (images, labels) = try tinyData()
        let identity = DataIdentity(kind: "image-folder", images: 24, fingerprint: "0123456789abcdef", source: "data")
        let first = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
        first.dataIdentity = identity
        try first.trainStep()
        let (tensors, metadata) = try first.checkpoint()
        let path = try CheckpointStore(directory: try temporaryFolder()).save(step: 1, tensors: tensors, metadata: metadata)

        let moved = try Trainer(config: tinyTrainingConfig(dataset: .imageFolder(path: "/new/place")), images: images, labels: labels)
        moved.dataIdentity = DataIdentity(kind: "image-folder", images: 24, fingerprint: "0123456789abcdef", source: "/new/place")
        try moved.restore(from: SafeTensorsFile(path: path))
        #expect(moved.step == 1)

        let other = try Trainer(config: tinyTrainingConfig(), images: images, labels: labels)
        other.dataIdentity = DataIdentity(kind: "image-folder", images: 25, fingerprint: "fedcba9876543210", source: "data")
        do {
            try other.restore(from: SafeTensorsFile(path: path))
            Issue.record("other data was accepted")
        } catch let error as PipelineError {
            #expect(error.message.contains("training data: image folder of 24 images (fingerprint 0123456789abcdef"), "\(error.message)")
            #expect(error.message.contains("image folder of 25 images (fingerprint fedcba9876543210"), "\(error.message)")
        }
        #expect(other.step == 0)
    }

    @Test("the running mean keeps the last values and survives encoding exactly")
    func runningMean() throws {
        var mean = RunningMean(window: 3)
        #expect(mean.mean.isNaN)
        for v in [1.0, 2.0, 3.0, 4.0] { mean.add(v) }
        #expect(mean.values == [2, 3, 4])
        #expect(mean.mean == 3)
        var odd = RunningMean(window: 50)
        for i in 0..<60 { odd.add(1.0 / Double(i + 3)) }
        let back = try RunningMean(window: 50, decoding: odd.encoded())
        #expect(back == odd)
        #expect(throws: PipelineError.self) { try RunningMean(decoding: "[1, \"x\"]") }
        #expect(throws: PipelineError.self) { try RunningMean(decoding: "not json") }
    }
}
