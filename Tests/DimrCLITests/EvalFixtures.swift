import Datasets
import Evaluation
import Foundation
import NN
import Testing
import Torch

/// Files the evaluation tests share: a tiny trained model, random FID Inception weights (the numbers do
/// not matter here, the plumbing does; parity is Tests/EvaluationTests'), an untrained classifier, a
/// reference batch of 8x8 RGB images and a tiny Fashion-MNIST folder (40 training and 40 test images).
struct EvalFiles {
    let root: String
    let model: String
    let inception: String
    let classifier: String
    let referenceImages: String
    /// A folder of Fashion-MNIST IDX files (unpacked) holding 40 images per split, for --data-dir.
    let fashion: String

    static let shared = Result { try EvalFiles() }

    init() throws {
        root = try temporaryFolder("evalFiles")
        let data = root + "/data"
        for c in 0..<3 {
            try FileManager.default.createDirectory(atPath: data + "/class\(c)", withIntermediateDirectories: true)
            for i in 0..<4 {
                let pixels = (0..<64).map { UInt8(truncatingIfNeeded: ($0 * (c + 1) * 37 + i * 11) % 256) }
                try PNG.write(RasterImage(width: 8, height: 8, channels: 1, pixels: pixels), to: data + "/class\(c)/\(i).png")
            }
        }
        try tinyModelJSON.write(toFile: root + "/tiny.json", atomically: true, encoding: .utf8)
        let train = try runDimr(["train", "--config", root + "/tiny.json", "--dataset", data, "--image-size", "8", "--steps", "2",
                                 "--batch-size", "4", "--warmup", "1", "--checkpoint-every", "2", "--output", root + "/run", "--threads", "1"])
        guard train.status == 0 else { throw CLIError("train failed: \(train.error)") }
        model = root + "/run/checkpoints/step-00000002.safetensors"

        let network = Init.skipping { FIDInceptionV3() }
        let g = try Generator(seed: 4)
        var state: [String: Tensor] = [:]
        for (name, p) in network.namedParameters() {
            let fanIn = p.tensor.rank == 4 ? p.tensor.size(1) * p.tensor.size(2) * p.tensor.size(3) : p.tensor.size(p.tensor.rank - 1)
            state[name] = name.hasSuffix("conv.weight") || name.hasPrefix("fc.")
                ? try (Tensor.rand(p.tensor.shape, generator: g) * 2 - 1) * (6.0 / Double(fanIn)).squareRoot()
                : try Tensor.rand(p.tensor.shape, generator: g) * 0.5 + 0.75
        }
        for (name, b) in network.namedBuffers() where !name.hasSuffix("num_batches_tracked") {
            state[name] = name.hasSuffix("running_var") ? try Tensor.ones(b.shape) : try Tensor.zeros(b.shape)
        }
        inception = root + "/inception.safetensors"
        try SafeTensors.save(state, to: inception)

        classifier = root + "/classifier.safetensors"
        try FashionClassifier(generator: Generator(seed: 5)).save(to: classifier, metadata: ["test_accuracy": "0.1"])

        let pixels = try Tensor.randint(0, 256, [8, 8, 8, 3], generator: Generator(seed: 6)).to(.uint8)
        referenceImages = root + "/reference.npz"
        try NPZ.write([("arr_0", pixels)], to: referenceImages)

        fashion = root + "/fashion"
        try writeTinyFashionMNIST(to: fashion, count: 40)
    }
}

/// The JSON object `dimr eval` printed.
func evalJSON(_ result: RunResult) throws -> [String: Any] {
    guard let line = result.output.split(separator: "\n").last,
          let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw CLIError("no JSON in \(result.output)\n\(result.error)")
    }
    return object
}


/// Writes Fashion-MNIST IDX files (unpacked, the official names) of `count` 28x28 images per split, image k
/// of class k mod 10 with a pattern of its own, into a new folder `folder`.
func writeTinyFashionMNIST(to folder: String, count: Int) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    func header(_ magic: UInt8, _ dims: [Int]) -> [UInt8] {
        [0, 0, 8, magic] + dims.flatMap { d in (0..<4).map { UInt8(truncatingIfNeeded: d >> (8 * (3 - $0))) } }
    }
    for (prefix, salt) in [("train", 0), ("t10k", 1)] {
        var pixels: [UInt8] = []
        for k in 0..<count {
            pixels += (0..<784).map { UInt8(truncatingIfNeeded: ($0 * (k % 10 + 3) + k * 7 + salt * 13) % 251) }
        }
        let labels = (0..<count).map { UInt8($0 % 10) }
        try Data(header(3, [count, 28, 28]) + pixels).write(to: URL(fileURLWithPath: "\(folder)/\(prefix)-images-idx3-ubyte"))
        try Data(header(1, [count]) + labels).write(to: URL(fileURLWithPath: "\(folder)/\(prefix)-labels-idx1-ubyte"))
    }
}

/// The bytes of each file, to tell that a refused command left its inputs as they were.
func fileBytes(_ paths: [String]) -> [String: Data] {
    Dictionary(uniqueKeysWithValues: paths.map { ($0, FileManager.default.contents(atPath: $0) ?? Data()) })
}
