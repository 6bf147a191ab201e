import Autoencoder
import Datasets
import Foundation
import Torch

/// Encodes an ImageNet-style image folder into a latent folder (see `LatentIndex`): each image is
/// centre-cropped as ADM does, encoded as is and horizontally flipped, and the encoder's moments are
/// stored in shards of `shardSize` images. Interrupted runs resume after the last complete shard.
public struct LatentExtraction {
    /// The class-per-subfolder image folder.
    public let source: ImageFolderListing
    public let sourceFolder: String
    /// The latent folder written.
    public let output: String
    /// Side of the square crops, in pixels (256 for the paper's ImageNet models); a multiple of 8.
    public let imageSize: Int
    /// Images per shard.
    public let shardSize: Int
    /// Images per encoder batch (each also encoded flipped).
    public let batchSize: Int
    /// Skip images that cannot be decoded (listed in the result) instead of stopping.
    public let skipBadImages: Bool
    public let maxPixels: Int

    /// Plans an extraction; checks the options and the output folder before any work.
    ///
    /// - Throws: `PipelineError` for an image size that is not a positive multiple of 8, a shard or
    ///   batch size below 1, or an output folder holding another extraction.
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

    /// Runs (or resumes) the extraction with `autoencoder`; `progress(done, total)` after each batch.
    ///
    /// - Returns: the final index and the files skipped in this run.
    /// - Throws: `PipelineError` naming a file that failed (unless skipping), or an output folder that
    ///   holds another extraction.
    public func run(autoencoder: AutoencoderKL, autoencoderPath: String,
                    progress: (Int, Int) -> Void = { _, _ in }) throws -> (index: LatentIndex, skipped: [SkippedFile]) {
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
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: (output as NSString).appendingPathComponent("index.json")) {
            let existing = try LatentIndex.read(folder: output)
            guard existing.fingerprint == index.fingerprint, existing.momentsShape == index.momentsShape else {
                throw PipelineError("\(output) holds latents of another extraction (other images, image size, shard size or"
                                    + " autoencoder); give another output folder or remove it")
            }
            index = existing
        }
        var skipped: [SkippedFile] = []
        var next = index.processed
        progress(next, source.files.count)
        while next < source.files.count {
            let end = min(next + shardSize, source.files.count)
            var moments: [Tensor] = [], labels: [Int64] = []
            var start = next
            while start < end {
                let stop = min(start + batchSize, end)
                var images: [Tensor] = []
                for file in source.files[start..<stop] {
                    do {
                        images.append(try cropped(file.path))
                        labels.append(Int64(file.label))
                    } catch where skipBadImages {
                        skipped.append(SkippedFile(path: file.path, reason: "\(error)"))
                    }
                }
                if !images.isEmpty {
                    let batch = try Tensor.stack(images, dim: 0)                            // (n, 3, S, S) in [-1, 1]
                    let both = try Tensor.cat([batch, batch.flip([3])], dim: 0)            // image, then its mirror
                    let encoded = try autoencoder.encodeMoments(both)                       // (2n, 2C, S/8, S/8)
                    let n = images.count
                    moments.append(try Tensor.stack([encoded.narrow(dim: 0, start: 0, length: n),
                                                     encoded.narrow(dim: 0, start: n, length: n)], dim: 1))  // (n, 2, 2C, s, s)
                }
                start = stop
                progress(start, source.files.count)
            }
            if !moments.isEmpty {
                let file = String(format: "shard-%05d.safetensors", index.shards.count)
                try SafeTensors.save(["moments": try Tensor.cat(moments, dim: 0).contiguous(), "labels": try Tensor(labels)],
                                     metadata: ["format": "dimr-latents/1"], to: (output as NSString).appendingPathComponent(file))
                index.shards.append(.init(file: file, count: labels.count))
            }
            index.processed = end
            try index.write(folder: output)
            next = end
        }
        return (index, skipped)
    }

    /// The ADM centre crop of the image at `path` as a (3, S, S) tensor in [-1, 1].
    private func cropped(_ path: String) throws -> Tensor {
        let image = try ImageDecoder.read(path, maxPixels: maxPixels).converted(toChannels: 3)
        let crop = try image.centerCropped(size: imageSize, maxPixels: maxPixels)
        let pixels = try Tensor(crop.pixels, shape: [imageSize, imageSize, 3])        // HWC bytes
        return try (pixels.permute([2, 0, 1]).to(.float32) / 127.5 - 1.0).contiguous()
    }
}
