import Foundation
import Torch

/// The `index.json` of a latent folder written by `dimr extract-latents`.
///
/// A latent folder holds, for every training image, the autoencoder encoder's moments (mean and
/// log-variance, 2 x embed channels) of the image and of its horizontal flip, in shards
/// `shard-00000.safetensors`, ... each with `moments` (N, 2, C, h, w) float32 (index 1 = flipped) and
/// `labels` (N) int64. The index lists the shards in order; it is rewritten (atomically) after each
/// shard, so an interrupted extraction resumes after the last complete shard.
public struct LatentIndex: Codable, Equatable, Sendable {
    /// One shard file and how many images it holds.
    public struct Shard: Codable, Equatable, Sendable {
        public var file: String
        public var count: Int

        /// A shard `file` (a name in the latent folder) of `count` images.
        public init(file: String, count: Int) {
            self.file = file
            self.count = count
        }
    }

    /// Format tag, `dimr-latents/1`.
    public var format = "dimr-latents/1"
    /// Side of the square images encoded, in pixels.
    public var imageSize: Int
    /// Shape of one moments tensor: (2 * embed channels, side / 8, side / 8).
    public var momentsShape: [Int]
    /// Class names (folder names, sorted): label k is `classes[k]`.
    public var classes: [String]
    /// Images in the source folder (all of them once extraction is complete).
    public var sourceCount: Int
    /// Images per shard (the last may hold fewer).
    public var shardSize: Int
    /// A fingerprint of the source listing (relative paths and sizes) and the encoder, so that a
    /// resume continues only the same extraction.
    public var fingerprint: String
    /// The autoencoder weights file's name (for people).
    public var autoencoder: String
    /// Source images handled so far (extracted or skipped), in listing order.
    public var processed = 0
    /// Completed shards in order.
    public var shards: [Shard] = []

    enum CodingKeys: String, CodingKey {
        case format, classes, fingerprint, autoencoder, shards, processed
        case imageSize = "image_size", momentsShape = "moments_shape", sourceCount = "source_count", shardSize = "shard_size"
    }

    public init(imageSize: Int, momentsShape: [Int], classes: [String], sourceCount: Int, shardSize: Int,
                fingerprint: String, autoencoder: String) {
        self.imageSize = imageSize
        self.momentsShape = momentsShape
        self.classes = classes
        self.sourceCount = sourceCount
        self.shardSize = shardSize
        self.fingerprint = fingerprint
        self.autoencoder = autoencoder
    }

    /// Images extracted so far (`read` has checked that the sum fits).
    public var extracted: Int { shards.reduce(0) { $0 &+ $1.count } }
    /// Whether every source image has been handled.
    public var isComplete: Bool { processed == sourceCount }

    /// The index of the latent folder `folder`.
    ///
    /// - Throws: `DatasetError` when the folder has no index or it is not one of ours.
    public static func read(folder: String) throws -> LatentIndex {
        let path = (folder as NSString).appendingPathComponent("index.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError("\(folder) is not a latent folder: no index.json (make one with dimr extract-latents)")
        }
        let index: LatentIndex
        do {
            index = try JSONDecoder().decode(LatentIndex.self, from: data)
        } catch {
            throw DatasetError("\(path) is not a latent index: \(error)")
        }
        guard index.format == "dimr-latents/1" else { throw DatasetError("\(path): unknown format \(index.format)") }
        guard index.momentsShape.count == 3, index.momentsShape.allSatisfy({ $0 > 0 && $0 <= 4096 }),
              index.momentsShape[0] % 2 == 0 else {
            throw DatasetError("\(path): moments shape \(index.momentsShape) is not (2 * channels, h, w)")
        }
        guard !index.classes.isEmpty, index.shardSize > 0, index.sourceCount >= 0,
              (0...index.sourceCount).contains(index.processed), index.extracted <= index.processed,
              index.shards.allSatisfy({ $0.count > 0 && $0.count <= index.shardSize && !$0.file.contains("/") }) else {
            throw DatasetError("\(path): inconsistent index (classes, shard size or shard list)")
        }
        // Each shard holds at most shardSize images and all of them at most sourceCount: checked so that
        // no sum overflows.
        var total = 0
        for shard in index.shards {
            let (sum, overflow) = total.addingReportingOverflow(shard.count)
            guard !overflow, sum <= index.processed else {
                throw DatasetError("\(path): the shards hold more images than were processed (\(index.processed))")
            }
            total = sum
        }
        return index
    }

    /// Writes the index into `folder` atomically.
    public func write(folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try AtomicFile.write(to: (folder as NSString).appendingPathComponent("index.json")) { try $0.write([UInt8](data)) }
    }
}
