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
    /// The arithmetic of the network's forward passes; the guidance combination and the solver stay float32.
    public var precision: Precision = .float32

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
        var images: [Tensor] = []
        var labels: [Tensor] = []
        try forEachBatch(classes: classes, perClass: perClass, sampler: sampler, guidance: guidance,
                         guidanceInterval: guidanceInterval, seed: seed) { batch in
            images.append(batch.images)
            labels.append(batch.labels)
            onBatch?(batch.start + batch.labels.count, batch.total)
            return true
        }
        return (try Tensor.cat(images), try Tensor.cat(labels))
    }

    /// One batch of `forEachBatch`: images (B, C, H, W) on the CPU in [-1, 1] (unclamped), their int64 labels (B),
    /// the index of the first image and the number of images in all.
    public struct Batch {
        /// Images (B, C, H, W), float32 on the CPU.
        public let images: Tensor
        /// Labels (B), int64.
        public let labels: Tensor
        /// Index of the batch's first image among all images asked for.
        public let start: Int
        /// Number of images asked for in all.
        public let total: Int

        /// The same batch holding other images (e.g. decoded from latents).
        public func replacingImages(_ images: Tensor) -> Batch {
            Batch(images: images, labels: labels, start: start, total: total)
        }
    }

    /// Samples `perClass` images of each of `classes` (class-major) batch by batch, handing each batch to `body`
    /// and keeping none: memory stays that of one batch however many images are asked for. `body` returns
    /// false to stop early. Guidance applies inside `guidanceInterval` (everywhere when nil).
    /// - Throws: `PipelineError` for a class out of range, a total that overflows or a precision the device cannot
    ///   run fast (before any work); the sampler's errors.
    public func forEachBatch(classes: [Int], perClass: Int, sampler: any Sampler, guidance: Guidance,
                             guidanceInterval: GuidanceInterval? = nil, seed: UInt64,
                             _ body: (Batch) throws -> Bool) throws {
        precondition(perClass > 0, "images per class must be positive")
        precondition(batchSize > 0, "batch size must be positive")
        for c in classes where c < 0 || c >= nullClass {
            throw PipelineError("class \(c) is out of range: the model has classes 0...\(nullClass - 1)")
        }
        try guidance.validate()
        do {
            try precision.checkSupport(on: device)
        } catch let error as TorchError {
            throw PipelineError("--precision \(precision): \(error.message)")
        }
        let network = MixedPrecisionNetwork(model, precision: precision)
        let (total, overflow) = classes.count.multipliedReportingOverflow(by: perClass)
        guard !overflow else { throw PipelineError("\(classes.count) classes x \(perClass) images per class is too many images") }
        var start = 0
        while start < total {
            let end = start + min(batchSize, total - start)
            let labels = (start..<end).map { Int64(classes[$0 / perClass]) }
            let noise = try InitialNoise.make(seed: seed, indices: start..<end, shape: imageShape, device: device)
            let y = try Tensor(labels).to(device: device)
            let images = try withNoGrad {
                try sampler.sample(network: network, noise: noise, classes: y, nullClass: nullClass, guidance: guidance,
                                   guidanceInterval: guidanceInterval, imageIndices: start..<end)
            }
            try Self.checkFinite(images, indices: start..<end)
            let batch = Batch(images: try images.to(device: .cpu), labels: try Tensor(labels), start: start, total: total)
            start = end
            guard try body(batch) else { return }
        }
    }

    /// Throws when sampled `images` (images `indices` of a run) hold NaN or infinite values, which would be
    /// saved as black images: the guidance scale or the weights overflowed float32 (or bfloat16's range).
    public static func checkFinite(_ images: Tensor, indices: Range<Int>) throws {
        let bad = try images.isFinite().logicalNot().sum().itemInt()
        guard bad == 0 else {
            throw PipelineError("images \(indices.lowerBound)...\(indices.upperBound - 1) came out with \(bad) NaN or infinite values "
                                + "(a guidance scale too large for float32, or weights that overflow): nothing of them was saved")
        }
    }
}
