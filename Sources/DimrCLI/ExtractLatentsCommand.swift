import ArgumentParser
import Datasets
import Foundation
import Pipeline
import Torch

/// `dimr extract-latents`: an ImageNet-style folder encoded into latent shards for `dimr train --latents`.
struct ExtractLatents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract-latents",
        abstract: "Encode an image folder (one subfolder per class, JPEG or PNG) into autoencoder latents.",
        discussion: """
            Each image is centre-cropped as ADM and the authors do (halved with a box filter while its short \
            side is at least twice the size, bicubic resize of the short side, centre crop), encoded as is and \
            horizontally flipped, and the encoder's moments (mean and log-variance, 8 x size/8 x size/8 for \
            the KL-f8 autoencoder) are written to OUT/shard-NNNNN.safetensors with OUT/index.json (class k is \
            the k-th subfolder name in sorted order). Rerunning the same command after an interruption \
            continues after the last complete shard. The authors encode with autoencoder_kl.pth.
            """)

    @Argument(help: "The image folder: FOLDER/<class>/<image>.") var folder: String
    @Argument(help: "The latent folder to write (created; resumed if it holds the same extraction).") var output: String
    @Option(help: "The autoencoder weights: the authors' autoencoder_kl.pth (or _ema), or safetensors.") var autoencoder: String
    @Option(help: "Side of the square crops in pixels (a multiple of 8).") var imageSize = 256
    @Option(help: "Images per shard file.") var shardSize = 1024
    @Option(help: "Images per encoder batch (each is also encoded flipped).") var batchSize = 8
    @Option(parsing: .unconditional, help: "libtorch threads (default: libtorch's choice).") var threads: Int?
    @Flag(help: "Skip images that cannot be decoded, counting them, instead of stopping.") var skipBadImages = false

    func validate() throws {
        guard imageSize >= 8, imageSize % 8 == 0, imageSize <= 4096 else {
            throw ValidationError("--image-size must be a multiple of 8 between 8 and 4096, got \(imageSize)")
        }
        guard (1...(1 << 20)).contains(shardSize) else { throw ValidationError("--shard-size must be in 1...1048576, got \(shardSize)") }
        guard (1...4096).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...4096, got \(batchSize)") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024, got \(threads)") }
        guard FileManager.default.fileExists(atPath: autoencoder) else { throw ValidationError("--autoencoder: no file \(autoencoder)") }
    }

    func run() throws {
        if let threads { Torch.numThreads = threads }
        let extraction = try LatentExtraction(sourceFolder: folder, output: output, imageSize: imageSize, shardSize: shardSize,
                                              batchSize: batchSize, skipBadImages: skipBadImages)
        print("extract-latents: \(extraction.source.files.count) images in \(extraction.source.classNames.count) classes,"
              + " \(imageSize)x\(imageSize) crops, shards of \(shardSize)")
        let model = try AutoencoderFile.load(autoencoder)
        var bar = ProgressBar(total: extraction.source.files.count)
        let (index, skipped) = try withNoGrad {
            try extraction.run(autoencoder: model, autoencoderPath: autoencoder) { done, _ in
                bar.update(step: done, items: done, fields: [])
            }
        }
        bar.finish()
        print("wrote \(output): \(index.extracted) images in \(index.shards.count) shards, moments \(index.momentsShape)"
              + (skipped.isEmpty ? "" : "; skipped \(skipped.count) unreadable images, e.g. \(skipped[0].path): \(skipped[0].reason)"))
    }
}
