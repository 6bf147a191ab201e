import Foundation
import Testing
import Torch
@testable import Evaluation
@testable import NN

/// The Fashion-MNIST classifier: shapes, input conversion, accuracy tallies and a training smoke test.
struct ClassifierTests {
    @Test func shapesAndByteInput() throws {
        let model = try FashionClassifier(generator: Generator(seed: 1))
        model.eval()
        let bytes = try Tensor.randint(0, 256, [3, 32, 32, 1], generator: Generator(seed: 2)).to(.uint8)
        let (features, logits) = try model.features(bytes: bytes)
        #expect(features.shape == [3, 128] && logits.shape == [3, 10])
        // 3 equal channels average to the gray image exactly; 28x28 images are padded with background.
        let rgb = try model.features(bytes: bytes.expand([3, 32, 32, 3]).contiguous())
        #expect(try rgb.logits.bytes() == logits.bytes())
        let inner = try bytes.narrow(dim: 1, start: 2, length: 28).narrow(dim: 2, start: 2, length: 28).contiguous()
        let padded = try FashionClassifier.normalized(inner)
        #expect(try padded.narrow(dim: 2, start: 0, length: 2).max().item() == -1)
        #expect(try (padded.narrow(dim: 2, start: 2, length: 28).narrow(dim: 3, start: 2, length: 28)
            - FashionClassifier.normalized(bytes).narrow(dim: 2, start: 2, length: 28).narrow(dim: 3, start: 2, length: 28)).abs().max().item() == 0)
        // x / 127.5 - 1 as Datasets.FashionMNIST scales bytes.
        let one = try FashionClassifier.normalized(Tensor((0..<1024).map { [UInt8(0), 255, 51][$0 % 3] }, shape: [1, 32, 32, 1]))
        #expect(try one.max().item() == 1 && one.min().item() == -1)
        #expect(thrownMessage { _ = try model.features(bytes: Tensor.zeros([1, 30, 30, 1], dtype: .uint8)) }?.contains("(N, 32, 32, C)") == true)
    }

    @Test func measurementWithoutFeaturesAndTheShapesTaken() throws {
        let model = try FashionClassifier(generator: Generator(seed: 1))
        model.eval()
        let bytes = try Tensor.randint(0, 256, [4, 28, 28, 1], generator: Generator(seed: 2)).to(.uint8)
        let lean = try ClassifierMeasurement(classifier: model, keepFeatures: false)
        let full = try ClassifierMeasurement(classifier: model)
        for measure in [lean, full] { try measure.add(bytes: bytes, labels: Tensor([Int64(0), 1, 2, 3])) }
        #expect(try lean.featureStatistics().mean.bytes() == full.featureStatistics().mean.bytes())
        #expect(lean.accuracy.count == 4 && lean.count == 4)
        #expect(thrownMessage { _ = try lean.features() }?.contains("not kept") == true)
        #expect(try full.features().shape == [4, 128])
        #expect(FashionClassifier.accepts(height: 32, width: 32, channels: 1) && FashionClassifier.accepts(height: 28, width: 28, channels: 3))
        #expect(!FashionClassifier.accepts(height: 1, width: 1, channels: 3) && !FashionClassifier.accepts(height: 32, width: 32, channels: 4)
                && !FashionClassifier.accepts(height: 32, width: 28, channels: 1))
    }

    @Test func accuracyTallies() throws {
        var tally = ClassAccuracy(classCount: 3)
        let logits = try matrix([[5, 0, 0], [0, 5, 0], [0, 5, 0], [0, 0, 5]])
        try tally.add(logits: logits, labels: Tensor([Int64(0), 1, 2, 2]))
        #expect(tally.overall == 0.75)
        #expect(tally.perClass == [1, 1, 0.5])
        #expect(thrownMessage { try tally.add(logits: logits, labels: Tensor([Int64(0), 1, 2, 3])) }?.contains("label 3") == true)
    }

    @Test func trainingLearnsASeparableSet() throws {
        // Two classes told apart by brightness: a few steps reach perfect accuracy.
        let g = try Generator(seed: 7)
        let dark = try Tensor.rand([32, 1, 32, 32], generator: g) * 0.5 - 1
        let bright = try Tensor.rand([32, 1, 32, 32], generator: g) * 0.5 + 0.5
        let images = try Tensor.cat([dark, bright])
        let labels = try Tensor((0..<64).map { Int64($0 < 32 ? 0 : 1) })
        var training = ClassifierTraining()
        training.epochs = 3
        training.batchSize = 16
        training.warmupSteps = 2
        training.seed = 3
        let model = try FashionClassifier(generator: Generator(seed: 3))
        let records = try training.run(model: model, images: images, labels: labels, testImages: images, testLabels: labels)
        #expect(records.count == 3)
        #expect(records.last?.testAccuracy == 1)
        #expect(!model.isTraining)
        training.batchSize = 1
        #expect(thrownMessage { try training.validate() }?.contains("batch size") == true)
    }

    @Test func weightsRoundTripThroughAFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("classifier-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let model = try FashionClassifier(generator: Generator(seed: 9))
        try model.save(to: folder + "/c.safetensors", metadata: ["seed": "9"])
        let (loaded, metadata) = try FashionClassifier.load(path: folder + "/c.safetensors")
        #expect(metadata["seed"] == "9")
        let x = try Tensor.rand([2, 1, 32, 32]) * 2 - 1
        model.eval()
        #expect(try loaded.forward(x).logits.bytes() == model.forward(x).logits.bytes())
        #expect(thrownMessage { _ = try FashionClassifier.load(path: folder + "/missing.safetensors") }?.contains("not found") == true)
    }
}
