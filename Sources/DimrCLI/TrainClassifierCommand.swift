import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Pipeline
import Torch

/// `dimr train-classifier`: the Fashion-MNIST classifier whose features and predictions `dimr eval` uses.
struct TrainClassifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-classifier",
        abstract: "Train the Fashion-MNIST classifier that measures generated Fashion-MNIST images.",
        discussion: """
        Trains on the 60,000 training images (padded to 32x32 as `dimr train` sees them), reports the accuracy \
        on the 10,000 test images after every epoch, and writes OUTPUT (float32 safetensors) with the command, \
        seed, wall time, per-epoch log and test accuracy in its metadata. The repository's \
        models/fmnist-classifier.safetensors was made by this command with its defaults. OUTPUT's folder must \
        exist, and OUTPUT must not be one of the IDX files (both checked before training).
        """)

    @Option(help: "Output weights file.") var output: String = "models/fmnist-classifier.safetensors"
    @Option(help: "Folder of the Fashion-MNIST IDX files (default: $DIMR_FASHION_MNIST, else Debian's).") var dataDir: String?
    @Option(parsing: .unconditional, help: "Passes over the training images.") var epochs: Int = 15
    @Option(parsing: .unconditional, help: "Images per step.") var batchSize: Int = 128
    @Option(parsing: .unconditional, help: "Peak learning rate (AdamW, cosine decay).") var lr: Double = 2e-3
    @Option(parsing: .unconditional, help: "AdamW weight decay on convolution and linear weights.") var weightDecay: Double = 0.05
    @Option(parsing: .unconditional, help: "Seed of initialisation, data order, augmentation and dropout.") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Intra-op threads (default: libtorch's).") var threads: Int?

    /// The training settings the options give.
    private func settings() -> ClassifierTraining {
        var training = ClassifierTraining()
        training.epochs = epochs
        training.batchSize = batchSize
        training.learningRate = lr
        training.weightDecay = weightDecay
        training.seed = seed
        return training
    }

    func validate() throws {
        do { try settings().validate() } catch let error as EvaluationError { throw ValidationError(error.message) }
        try OptionChecks.threads(threads)
        try PathChecks.outputFile(output, option: "--output")
        try PathChecks.distinct(outputs: [PathChecks.Named(option: "--output", path: output)],
                                inputs: PathChecks.fashionMNISTFiles(dataDir: dataDir))
    }

    func run() throws {
        try OptionChecks.plainErrors { try trainAndSave() }
    }

    private func trainAndSave() throws {
        let training = settings()
        OptionChecks.applyThreads(threads)
        let train = try FashionMNIST(split: .train, directory: dataDir)
        let test = try FashionMNIST(split: .test, directory: dataDir)
        let started = Date()
        let model = try FashionClassifier(generator: Generator(seed: seed))
        var bar = ProgressBar(total: (train.count / batchSize) * epochs, plainInterval: 60)
        let records = try training.run(model: model, images: train.images, labels: train.labels,
                                       testImages: test.images, testLabels: test.labels,
                                       onStep: { step, _, loss in
                                           bar.update(step: step, items: step * batchSize, fields: [("loss", String(format: "%.4f", loss))])
                                       },
                                       onEpoch: { record in
                                           bar.update(step: record.epoch * (train.count / batchSize), items: record.epoch * train.count,
                                                      fields: [("test accuracy", String(format: "%.4f", record.testAccuracy))], force: true)
                                           bar.finish()
                                       })
        let seconds = Date().timeIntervalSince(started)
        let accuracy = try ClassifierTraining.accuracy(model: model, images: test.images, labels: test.labels)
        let log = try String(decoding: JSONEncoder().encode(records), as: UTF8.self)
        let metadata = [
            "model": "FashionClassifier",
            "command": (["dimr"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
            "seed": String(seed), "epochs": String(epochs), "batch_size": String(batchSize), "lr": String(lr),
            "weight_decay": String(weightDecay), "threads": String(Torch.numThreads), "libtorch": Torch.version,
            "train_seconds": String(format: "%.0f", seconds), "test_accuracy": String(format: "%.4f", accuracy.overall),
            "epochs_log": log,
        ]
        try model.save(to: output, metadata: metadata)
        let perClass = accuracy.perClass.enumerated().map { String(format: "%@ %.3f", FashionMNIST.classNames[$0.offset], $0.element ?? 0) }
        print(String(format: "test accuracy %.4f after %ld epochs in %.0f s; wrote %@", accuracy.overall, epochs, seconds, output))
        print("per class: " + perClass.joined(separator: ", "))
    }
}
