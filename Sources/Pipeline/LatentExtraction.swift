import Autoencoder
import Datasets
import Foundation
import Torch

/// Encodes an ImageNet-style image folder into a latent folder (see `LatentIndex`): each image is
/// centre-cropped as ADM does, encoded as is and horizontally flipped, and the encoder's moments are
/// stored in shards of `shardSize` images. An interrupted run saves the shard in progress, and running again
/// continues there.
public struct LatentExtraction {
    /// The class-per-subfolder image folder.
    public let source: ImageFolderListing
    /// The image folder's path as given.
    public let sourceFolder: String
    /// The latent folder written.
    public let output: String
    /// Side of the square crops, in pixels (256 for the paper's ImageNet models); a multiple of 8.
    public let imageSize: Int
    /// Images per shard.
    public let shardSize: Int
    /// Images per encoder batch (each also encoded flipped).
    public let batchSize: Int
    /// Skip images that cannot be decoded (listed in the index's `skipped`) instead of stopping.
    public let skipBadImages: Bool
    /// Images of more pixels than this are refused (skipped with `skipBadImages`).
    public let maxPixels: Int

    /// Plans an extraction: checks the options and lists the image folder (the output folder is checked by `run`).
    ///
    /// - Throws: `PipelineError` for an image size that is not a positive multiple of 8, a shard or
    ///   batch size below 1; `DatasetError` when the image folder is missing or holds no images.
    public init(sourceFolder: String, output: String, imageSize: Int = 256, shardSize: Int = 1024, batchSize: Int = 8,
                skipBadImages: Bool = false, maxPixels: Int = ImageDecoder.defaultMaxPixels) throws {
        guard imageSize >= 8, imageSize % 8 == 0, imageSize <= 4096 else {
            throw PipelineError("--image-size must be a multiple of 8 between 8 and 4096, got \(imageSize)")
        }
        guard shardSize >= 1, shardSize <= 1 << 20 else { throw PipelineError("--shard-size must be in 1...1048576, got \(shardSize)") }
        guard batchSize >= 1, batchSize <= 4096 else { throw PipelineError("--batch-size must be in 1...4096, got \(batchSize)") }
        self.sourceFolder = sourceFolder
        self.output = output
        self.imageSize = imageSize
        self.shardSize = shardSize
        self.batchSize = batchSize
        self.skipBadImages = skipBadImages
        self.maxPixels = maxPixels
        source = try ImageFolderListing(directory: sourceFolder)
    }

    /// A fingerprint of what the latents depend on: the files (relative paths and sizes), the crop
    /// size and the autoencoder file's name and size. Moving the folder keeps it.
    public func fingerprint(autoencoderPath: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a, 64 bits
        func mix(_ text: String) {
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            hash = (hash ^ 0xff) &* 0x0000_0100_0000_01B3
        }
        func size(_ path: String) -> String {
            ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.stringValue ?? "?"
        }
        mix("size \(imageSize) shard \(shardSize)")
        mix((autoencoderPath as NSString).lastPathComponent + " " + size(autoencoderPath))
        for file in source.files {
            mix(String(file.path.dropFirst(sourceFolder.count)) + " " + size(file.path) + " \(file.label)")
        }
        return String(hash, radix: 16)
    }

    /// Runs (or continues) the extraction with `autoencoder`; `progress(done, total)` after each batch.
    ///
    /// The output folder is locked for the run (`OutputLock`, recording `command`). `stopRequested` is polled
    /// before each batch: when it answers true the run writes the shard in progress as far as it got and the
    /// index, and returns with `interrupted` set. A failure (an image that cannot be read without
    /// `skipBadImages`, the encoder) also saves the batches done before it. Every file is written to a temporary
    /// file and renamed. Running again continues where the last run stopped. The encoder is deterministic: the
    /// moments depend only on the images and on how they are batched (and on libtorch's kernels, so on the
    /// machine and thread count), so a continuation with the same options on the same machine writes the shards
    /// of an uninterrupted run byte for byte; another `batchSize` or machine may change the last bits of the
    /// images still to do, which are as valid.
    ///
    /// - Returns: the index written and what the run did.
    /// - Throws: `PipelineError` when another process holds the output folder (naming it), the folder holds
    ///   another extraction, an image cannot be read (unless skipping; the message names it and how to go on)
    ///   or a file cannot be written; the encoder's `TorchError`.
    public func run(autoencoder: AutoencoderKL, autoencoderPath: String, command: String = "dimr extract-latents",
                    stopRequested: () -> Bool = { Interrupt.requested },
                    progress: (Int, Int) -> Void = { _, _ in }) throws -> LatentExtractionOutcome {
        let factor = 1 << (autoencoder.config.chMult.count - 1)   // the encoder's down-sampling (8 for KL-f8)
        guard imageSize % factor == 0 else {
            throw PipelineError("--image-size \(imageSize) is not a multiple of the autoencoder's down-sampling factor \(factor)")
        }
        let side = imageSize / factor
        let channels = autoencoder.config.embedDim * 2
        var index = LatentIndex(imageSize: imageSize, momentsShape: [channels, side, side], classes: source.classNames,
                                sourceCount: source.files.count, shardSize: shardSize,
                                fingerprint: fingerprint(autoencoderPath: autoencoderPath),
                                autoencoder: (autoencoderPath as NSString).lastPathComponent)
        try FileErrors.createFolder(output)
        let lock = try OutputLock(folder: output, command: command)
        defer { lock.release() }
        let removed = FileErrors.removeStaleTemporaries(in: output)
        var carried: (moments: Tensor?, labels: [Int64]) = (nil, [])
        var redid = false
        if FileManager.default.fileExists(atPath: (output as NSString).appendingPathComponent("index.json")) {
            let existing = try LatentIndex.read(folder: output)
            guard existing.fingerprint == index.fingerprint, existing.momentsShape == index.momentsShape,
                  existing.shardSize == shardSize, existing.sourceCount == index.sourceCount else {
                throw PipelineError("\(output) holds latents of another extraction (other images, image size, shard size or"
                                    + " autoencoder); give another output folder or remove it")
            }
            index = existing
            (carried, redid) = resumePartial(&index)
        }
        let resumedAt = index.processed, total = source.files.count
        var next = index.processed
        progress(next, total)
        while next < total {
            let end = min(next - next % shardSize + shardSize, total)   // the end of the shard's source range
            var moments = carried.moments.map { [$0] } ?? [], labels = carried.labels
            carried = (nil, [])
            while next < end {
                if stopRequested() {
                    try save(&index, moments: moments, labels: labels, processed: next, complete: false)
                    return LatentExtractionOutcome(index: index, interrupted: true, resumedAt: resumedAt, redidShard: redid,
                                                   removedTemporaries: removed)
                }
                let stop = min(next + batchSize, end)
                let batch: (moments: Tensor?, labels: [Int64], skipped: [LatentIndex.Skipped])
                do {
                    batch = try encode(source.files[next..<stop], with: autoencoder)
                } catch {
                    do {
                        try save(&index, moments: moments, labels: labels, processed: next, complete: false)
                    } catch let saving {
                        throw PipelineError("\(FileErrors.reason(error)); saving the images done before it failed too: \(FileErrors.reason(saving))")
                    }
                    throw error
                }
                if let done = batch.moments { moments.append(done) }
                labels += batch.labels
                index.skipped += batch.skipped
                next = stop
                progress(next, total)
            }
            try save(&index, moments: moments, labels: labels, processed: end, complete: true)
        }
        return LatentExtractionOutcome(index: index, interrupted: false, resumedAt: resumedAt, redidShard: redid,
                                       removedTemporaries: removed)
    }

    /// The path of a source file relative to the image folder.
    public func relativePath(_ path: String) -> String {
        var rest = path.hasPrefix(sourceFolder) ? path.dropFirst(sourceFolder.count) : Substring(path)
        while rest.hasPrefix("/") { rest = rest.dropFirst() }
        return String(rest)
    }

    /// The name of shard `number`.
    private static func shardName(_ number: Int) -> String { String(format: "shard-%05d.safetensors", number) }

    /// Writes the shard of the current source range (complete, or in progress up to `processed`), then the index.
    private func save(_ index: inout LatentIndex, moments: [Tensor], labels: [Int64], processed: Int, complete: Bool) throws {
        let file = Self.shardName(index.shards.count)
        if !labels.isEmpty {
            let path = (output as NSString).appendingPathComponent(file)
            do {
                try SafeTensors.save(["moments": try Tensor.cat(moments, dim: 0).contiguous(), "labels": try Tensor(labels)],
                                     metadata: ["format": "dimr-latents/1"], to: path)
            } catch {
                throw PipelineError("cannot write \(path): \(FileErrors.reason(error))")
            }
        }
        let shard = labels.isEmpty ? nil : LatentIndex.Shard(file: file, count: labels.count)
        if complete {
            if let shard { index.shards.append(shard) }
            index.partial = nil
        } else {
            index.partial = shard
        }
        index.processed = processed
        do {
            try index.write(folder: output)
        } catch {
            throw PipelineError("cannot write \(output)/index.json: \(FileErrors.reason(error))")
        }
    }

    /// The images an interrupted run extracted of the shard it was making. When that shard's file is missing or
    /// does not match the index (a writer killed between the two), the index goes back to the start of the
    /// shard's source range (forgetting the files it skipped there), and `redo` is true.
    private func resumePartial(_ index: inout LatentIndex) -> (carried: (moments: Tensor?, labels: [Int64]), redo: Bool) {
        guard let partial = index.partial else { return ((nil, []), false) }
        let path = (output as NSString).appendingPathComponent(partial.file)
        if partial.file == Self.shardName(index.shards.count), let file = try? SafeTensorsFile(path: path),
           let moments = try? file.tensor("moments").clone(), let labels = try? file.tensor("labels").toArray(Int64.self),
           moments.shape == [partial.count, 2] + index.momentsShape, moments.dtype == .float32, labels.count == partial.count {
            return ((moments, labels), false)
        }
        let start = index.processed - index.processed % shardSize
        let redone = Set(source.files[start..<index.processed].map { relativePath($0.path) })
        index.skipped.removeAll { redone.contains($0.path) }
        index.partial = nil
        index.processed = start
        return ((nil, []), true)
    }

    /// The moments (n, 2, 2C, s, s) of the images of `files` that can be read (nil when none), their labels, and the
    /// files left out (only when `skipBadImages`; otherwise an unreadable file is thrown, naming it).
    private func encode(_ files: ArraySlice<(path: String, label: Int)>, with autoencoder: AutoencoderKL) throws
        -> (moments: Tensor?, labels: [Int64], skipped: [LatentIndex.Skipped]) {
        var images: [Tensor] = [], labels: [Int64] = [], skipped: [LatentIndex.Skipped] = []
        for file in files {
            do {
                images.append(try cropped(file.path))
                labels.append(Int64(file.label))
            } catch {
                guard skipBadImages else {
                    throw PipelineError("\(FileErrors.reason(error)) (the images before it are kept: rerun with"
                                        + " --skip-bad-images to leave out such files and continue)")
                }
                let relative = relativePath(file.path)
                var reason = FileErrors.reason(error).replacingOccurrences(of: file.path, with: relative)
                if reason.hasPrefix(relative + ": ") { reason.removeFirst(relative.count + 2) }
                skipped.append(LatentIndex.Skipped(path: relative, reason: reason))
            }
        }
        guard !images.isEmpty else { return (nil, [], skipped) }
        let batch = try Tensor.stack(images, dim: 0)                            // (n, 3, S, S) in [-1, 1]
        let both = try Tensor.cat([batch, batch.flip([3])], dim: 0)            // image, then its mirror
        let encoded = try autoencoder.encodeMoments(both)                       // (2n, 2C, S/8, S/8)
        let n = images.count
        let moments = try Tensor.stack([encoded.narrow(dim: 0, start: 0, length: n),
                                        encoded.narrow(dim: 0, start: n, length: n)], dim: 1)  // (n, 2, 2C, s, s)
        return (moments, labels, skipped)
    }

    /// The ADM centre crop of the image at `path` as a (3, S, S) tensor in [-1, 1].
    private func cropped(_ path: String) throws -> Tensor {
        let image = try ImageDecoder.read(path, maxPixels: maxPixels).converted(toChannels: 3)
        let crop = try image.centerCropped(size: imageSize, maxPixels: maxPixels)
        let pixels = try Tensor(crop.pixels, shape: [imageSize, imageSize, 3])        // HWC bytes
        return try (pixels.permute([2, 0, 1]).to(.float32) / 127.5 - 1.0).contiguous()
    }
}
