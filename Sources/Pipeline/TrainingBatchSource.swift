import Autoencoder
import Datasets
import Foundation
import Torch

/// Where a `Trainer` takes its batches from: in-memory images (`DataLoader`) or streamed latents.
///
/// A source's state is part of every checkpoint, so a resumed run gets the batches it would have had.
public protocol TrainingBatchSource: AnyObject {
    /// Images (or latents) in one epoch.
    var count: Int { get }
    /// The next batch: inputs (B, C, H, W) and int64 labels (B).
    func next() throws -> Batch
    /// Where the source stands.
    func state() throws -> DataLoaderState
    /// Continues from a saved state.
    func restore(_ state: DataLoaderState) throws
}

extension DataLoader: TrainingBatchSource {}

/// Batches of latents drawn from a latent folder: each step takes the encoder moments of its images
/// (or their flips) from a `LatentBatchStream` and draws a fresh posterior sample,
/// `scale * (mean + exp(0.5 clamp(logvar, -30, 20)) * noise)`, as the authors' training does.
public final class LatentTrainingBatches: TrainingBatchSource {
    /// The stream of moments.
    public let stream: LatentBatchStream
    /// The autoencoder's scale factor (0.18215 for Stable Diffusion's KL-f8).
    public let scaleFactor: Double

    /// Streams `folder` in batches of `batchSize`, shuffled from `seed`.
    ///
    /// - Throws: `PipelineError` naming the holder while an extraction writes `folder`; `DatasetError` when
    ///   its extraction is unfinished or the folder is not a latent folder (see `LatentBatchStream`).
    public init(folder: String, batchSize: Int, seed: UInt64, scaleFactor: Double = AutoencoderConfig.stableDiffusionKLF8.scaleFactor) throws {
        if let holder = OutputLock.holder(of: folder) {
            throw PipelineError("latent folder \(folder) is being written by a running extraction (\(holder)); "
                                + "train on it once that has finished")
        }
        stream = try LatentBatchStream(folder: folder, batchSize: batchSize, seed: seed)
        self.scaleFactor = scaleFactor
    }

    public var count: Int { stream.index.extracted }

    public func next() throws -> Batch {
        let (moments, labels) = try stream.next()                                   // (B, 2C, h, w)
        let noise = try stream.normal([moments.size(0), moments.size(1) / 2, moments.size(2), moments.size(3)])
        let latents = try AutoencoderKL.posteriorSample(moments: moments, noise: noise, scaleFactor: scaleFactor)  // (B, C, h, w)
        return Batch(images: latents, labels: labels)
    }

    public func state() throws -> DataLoaderState { try stream.currentState() }
    public func restore(_ state: DataLoaderState) throws { try stream.restore(state) }
}
