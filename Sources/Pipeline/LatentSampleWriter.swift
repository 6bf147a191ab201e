import Foundation
import Torch

/// Raw latents of `dimr sample` for a latent model run without an autoencoder: one
/// `latents/batch-NNNNN.safetensors` per batch (`latents` (B, C, h, w) float32 as the sampler returns
/// them, `labels` (B) int64, metadata `start` = the index of the batch's first image), written as
/// batches finish, so an interrupted run keeps what it made. Decode them later with the autoencoder.
public final class LatentSampleWriter {
    /// The folder the batches go to.
    public let folder: String
    /// Images written so far.
    public private(set) var written = 0
    private var batches = 0

    /// Prepares `output/latents`; refuses one holding an earlier run's batches unless `overwrite`.
    /// - Throws: `PipelineError` when the folder cannot be created or written, or holds earlier batches.
    public init(output: String, overwrite: Bool) throws {
        folder = output + "/latents"
        try FileErrors.createFolder(folder)
        let earlier = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            $0.hasPrefix("batch-") && $0.hasSuffix(".safetensors")
        }
        if !earlier.isEmpty {
            guard overwrite else {
                throw PipelineError("\(folder) holds \(earlier.count) latent batches of an earlier run; pass --overwrite or choose another --output")
            }
            for name in earlier { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
        }
        guard access(folder, W_OK) == 0 else { throw PipelineError("cannot write to \(folder): \(FileErrors.lastReason)") }
    }

    /// Writes one batch.
    public func add(_ batch: ClassGridSampler.Batch) throws {
        let path = folder + String(format: "/batch-%05d.safetensors", batches)
        do {
            try SafeTensors.save(["latents": batch.images.contiguous(), "labels": batch.labels],
                                 metadata: ["start": String(batch.start), "format": "dimr-sampled-latents/1"], to: path)
        } catch {
            throw PipelineError("cannot write \(path): \(FileErrors.reason(error))")
        }
        batches += 1
        written += batch.labels.count
    }
}
