import Evaluation
import Foundation
import NN
import Torch

/// Images per second through the feature networks of `dimr eval`: pytorch-fid's FID Inception-v3 (with random
/// weights of its exact shapes; speed does not depend on the values) and the Fashion-MNIST classifier, on
/// uint8 32x32 gray images as `dimr eval` hands them over (Inception resizes them to 299x299).
struct FeaturesBenchmark {
    static let summary = "images/s through dimr eval's feature networks (FID Inception-v3, Fashion-MNIST classifier)"
    static let help = """
        usage: dimr-bench features [options]

        options:
          --batch N         images per feature batch (default 50, as dimr eval's --feature-batch-size)
          --repetitions N   timed batches per network, after one warm-up batch (default 5)
          --threads N       libtorch intra-op threads (default: libtorch's own choice)

        """

    let batch: Int
    let repetitions: Int

    init(arguments: [String]) throws {
        let o = try Options(arguments, valueOptions: ["--batch", "--repetitions", "--threads"], flagOptions: [], help: Self.help)
        batch = try o.int("--batch", default: 50)
        repetitions = try o.int("--repetitions", default: 5)
        guard batch > 0, repetitions > 0 else { throw UsageError(message: "--batch and --repetitions must be positive") }
        let threads = try o.int("--threads", default: 0)
        if threads > 0 { Torch.numThreads = threads }
    }

    /// Seconds per batch of `body`, after one warm-up call: the median of `repetitions` and the fastest.
    func time(_ body: () throws -> Void) throws -> (median: Double, min: Double) {
        try body()
        var seconds: [Double] = []
        for _ in 0..<repetitions {
            let start = monotonicNanoseconds()
            try body()
            seconds.append(Double(monotonicNanoseconds() - start) / 1e9)
        }
        return (median(seconds), seconds.min() ?? 0)
    }

    func run() throws {
        let generator = try Generator(seed: 0)
        let bytes = try Tensor.randint(0, 256, [batch, 32, 32, 1], generator: generator).to(.uint8)
        let inception = FIDInceptionV3()
        for p in inception.parameters { try p.tensor.normal_(std: 0.02, generator: generator) }
        let classifier = try FashionClassifier(generator: generator)
        classifier.eval()
        let inceptionTime = try time { _ = try withNoGrad { try inception.features(bytes: bytes) } }
        let classifierTime = try time { _ = try withNoGrad { try classifier.features(bytes: bytes) } }
        try printJSON([
            "benchmark": "features",
            "threads": Torch.numThreads,
            "batch": batch,
            "repetitions": repetitions,
            "load_average": loadAverage(),
            "inception_images_per_s": rounded(Double(batch) / inceptionTime.median),
            "inception_images_per_s_best": rounded(Double(batch) / inceptionTime.min),
            "classifier_images_per_s": rounded(Double(batch) / classifierTime.median),
            "classifier_images_per_s_best": rounded(Double(batch) / classifierTime.min),
        ])
    }
}
