import DiMR
import Diffusion
import Foundation
import Torch

/// Samples images for a list of classes with per-image noise, in batches of any size.
///
/// Image k (in class-major order) starts from noise seeded by (seed, k), so the result does not
/// depend on the batch size.
public struct ClassGridSampler {
    /// The network (in evaluation mode).
    public let model: any DenoisingNetwork
    /// The class index meaning "no class".
    public let nullClass: Int
    /// One image's shape [C, H, W].
    public let imageShape: [Int]
    /// Images per network batch (a guided batch runs twice this many through the network).
    public var batchSize: Int = 64
    /// Device of the model.
    public var device: Device = .cpu

    /// A sampler for `model`.
    public init(model: any DenoisingNetwork, nullClass: Int, imageShape: [Int]) {
        self.model = model
        self.nullClass = nullClass
        self.imageShape = imageShape
    }

    /// `perClass` images of each of `classes`, class-major: (classes.count * perClass, C, H, W) and labels,
    /// guided inside `guidanceInterval` (everywhere when nil).
    /// `onBatch` is told (images done, images in all) after each batch.
    public func sample(classes: [Int], perClass: Int, sampler: any Sampler, guidance: Guidance,
                       guidanceInterval: GuidanceInterval? = nil, seed: UInt64,
                       onBatch: ((Int, Int) -> Void)? = nil) throws -> (images: Tensor, labels: Tensor) {
        precondition(perClass > 0, "images per class must be positive")
        precondition(batchSize > 0, "batch size must be positive")
        for c in classes where c < 0 || c >= nullClass {
            throw PipelineError("class \(c) is out of range: the model has classes 0...\(nullClass - 1)")
        }
        try guidance.validate()
        let labels = classes.flatMap { Array(repeating: Int64($0), count: perClass) }
        var outputs: [Tensor] = []
        var start = 0
        while start < labels.count {
            let end = min(start + batchSize, labels.count)
            let noise = try InitialNoise.make(seed: seed, indices: start..<end, shape: imageShape, device: device)
            let y = try Tensor(Array(labels[start..<end])).to(device: device)
            let images = try withNoGrad {
                try sampler.sample(network: model, noise: noise, classes: y, nullClass: nullClass, guidance: guidance,
                                   guidanceInterval: guidanceInterval, imageIndices: start..<end)
            }
            outputs.append(try images.to(device: .cpu))
            start = end
            onBatch?(end, labels.count)
        }
        return (try Tensor.cat(outputs), try Tensor(labels))
    }
}
