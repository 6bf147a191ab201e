import Foundation
import Torch

/// The `index.json` of a latent folder written by `dimr extract-latents`.
///
/// A latent folder holds, for every training image, the autoencoder encoder's moments (mean and
/// log-variance, 2 x embed channels) of the image and of its horizontal flip, in shards
/// `shard-00000.safetensors`, ... each with `moments` (N, 2, C, h, w) float32 (index 1 = flipped) and
/// `labels` (N) int64. Shard k holds the images of source files k x shardSize ..< (k + 1) x shardSize that
/// were not skipped. The index lists the complete shards in order, and is rewritten (atomically) after each
/// one; an interrupted extraction also records the shard in progress (`partial`) and how far it got
/// (`processed`), so that rerunning it continues there. `complete` says whether every source file has been
/// handled; an index without it (written before it existed) is complete when `processed` = `source_count`.
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

    /// A source file left out (it could not be decoded or cropped): its path relative to the image folder
    /// and why.
    public struct Skipped: Codable, Equatable, Sendable {
        public var path: String
        public var reason: String

        /// The file at `path` (relative to the image folder), left out for `reason`.
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
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
    /// The shard in progress when an extraction was interrupted: the images extracted from its source range
    /// up to `processed` (nil when there are none, or between shards).
    public var partial: Shard?
    /// The source files left out so far, in listing order.
    public var skipped: [Skipped] = []

    enum CodingKeys: String, CodingKey {
        case format, classes, fingerprint, autoencoder, shards, processed, partial, skipped, complete
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

    /// Reads an index; `partial`, `skipped` and `complete` may be missing (indexes written before them).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        imageSize = try c.decode(Int.self, forKey: .imageSize)
        momentsShape = try c.decode([Int].self, forKey: .momentsShape)
        classes = try c.decode([String].self, forKey: .classes)
        sourceCount = try c.decode(Int.self, forKey: .sourceCount)
        shardSize = try c.decode(Int.self, forKey: .shardSize)
        fingerprint = try c.decode(String.self, forKey: .fingerprint)
        autoencoder = try c.decode(String.self, forKey: .autoencoder)
        processed = try c.decode(Int.self, forKey: .processed)
        shards = try c.decode([Shard].self, forKey: .shards)
        partial = try c.decodeIfPresent(Shard.self, forKey: .partial)
        skipped = try c.decodeIfPresent([Skipped].self, forKey: .skipped) ?? []
        if let complete = try c.decodeIfPresent(Bool.self, forKey: .complete), complete != isComplete {
            throw DecodingError.dataCorruptedError(forKey: .complete, in: c, debugDescription:
                "\"complete\": \(complete) contradicts \"processed\": \(processed) of \"source_count\": \(sourceCount)")
        }
    }

    /// Writes every field, with `complete` for readers of the file.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(imageSize, forKey: .imageSize)
        try c.encode(momentsShape, forKey: .momentsShape)
        try c.encode(classes, forKey: .classes)
        try c.encode(sourceCount, forKey: .sourceCount)
        try c.encode(shardSize, forKey: .shardSize)
        try c.encode(fingerprint, forKey: .fingerprint)
        try c.encode(autoencoder, forKey: .autoencoder)
        try c.encode(processed, forKey: .processed)
        try c.encode(shards, forKey: .shards)
        try c.encodeIfPresent(partial, forKey: .partial)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(isComplete, forKey: .complete)
    }

    /// Images in the complete shards (`read` has checked that the sum fits).
    public var extracted: Int { shards.reduce(0) { $0 &+ $1.count } }
    /// Whether every source image has been handled (extracted into a complete shard, or skipped).
    public var isComplete: Bool { processed == sourceCount && partial == nil }

    /// Where an unfinished extraction stands and how to finish it, for refusals of the folder `folder`.
    public func unfinishedMessage(folder: String) -> String {
        "latent folder \(folder) holds an unfinished extraction (\(processed) of \(sourceCount) images done; interrupted, "
            + "failed or still running): finish it by running the same dimr extract-latents command again"
    }

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
              (0...index.sourceCount).contains(index.processed), index.skipped.count <= index.processed,
              index.partial == nil || (index.processed < index.sourceCount && index.processed % index.shardSize != 0),
              (index.shards + [index.partial].compactMap { $0 }).allSatisfy({
                  $0.count > 0 && $0.count <= index.shardSize && !$0.file.contains("/") && !$0.file.hasPrefix(".")
              }) else {
            throw DatasetError("\(path): inconsistent index (classes, shard size, shard list or skipped files)")
        }
        // Each shard holds at most shardSize images and all of them at most sourceCount: checked so that
        // no sum overflows.
        var total = 0
        for shard in index.shards + [index.partial].compactMap({ $0 }) {
            let (sum, overflow) = total.addingReportingOverflow(shard.count)
            guard !overflow, sum <= index.processed else {
                throw DatasetError("\(path): the shards hold more images than were processed (\(index.processed))")
            }
            total = sum
        }
        guard total + index.skipped.count <= index.processed else {
            throw DatasetError("\(path): \(total) images extracted and \(index.skipped.count) skipped, more than the \(index.processed) processed")
        }
        return index
    }

    /// Writes the index into `folder` atomically.
    ///
    /// - Throws: `TorchError` naming the file when it cannot be written (the previous index then stays).
    public func write(folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        try AtomicFile.write(to: (folder as NSString).appendingPathComponent("index.json")) { try $0.write([UInt8](data)) }
    }
}
