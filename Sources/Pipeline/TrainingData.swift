import Datasets
import Foundation
import Torch

/// The images a `DatasetSpec` names, with their class names and identity.
public struct TrainingData {
    /// Images (N, C, S, S) float32 in [-1, 1].
    public let images: Tensor
    /// Labels (N) int64.
    public let labels: Tensor
    /// Class names in label order.
    public let classNames: [String]
    /// What identifies the data whatever path names it.
    public let identity: DataIdentity
    /// Image files left out by `options.skipBadFiles`.
    public let skipped: [SkippedFile]

    /// Loads the data of `spec` for a model of `channels` x `imageSize` x `imageSize` inputs;
    /// `options` says how an image folder's files are read.
    /// - Throws: `PipelineError` when Fashion-MNIST does not fit the model; the data sets' own errors.
    public init(_ spec: DatasetSpec, imageSize: Int, channels: Int, options: ImageLoadOptions = ImageLoadOptions()) throws {
        switch spec {
        case .fashionMNIST(let directory):
            guard channels == 1, imageSize == FashionMNIST.side else {
                throw PipelineError("Fashion-MNIST images are 1x\(FashionMNIST.side)x\(FashionMNIST.side); "
                                    + "the model wants \(channels)x\(imageSize)x\(imageSize)")
            }
            let data = try FashionMNIST(split: .train, directory: directory)
            (images, labels, classNames, skipped) = (data.images, data.labels, FashionMNIST.classNames, [])
            identity = try DataIdentity.fashionMNIST(images: data.images, labels: data.labels,
                                                     source: FashionMNIST.resolveDirectory(directory))
        case .imageFolder(let path):
            let data = try ImageFolder(directory: path, width: imageSize, height: imageSize, channels: channels, options: options)
            (images, labels, classNames, skipped) = (data.images, data.labels, data.classNames, data.skipped)
            identity = try DataIdentity.imageFolder(root: path, paths: data.paths)
        case .latents(let path):
            throw PipelineError("latents \(path) are streamed (LatentTrainingBatches), not loaded as images")
        }
    }
}
