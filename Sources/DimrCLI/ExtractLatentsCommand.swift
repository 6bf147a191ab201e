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
            the k-th subfolder name in sorted order). Ctrl-C or SIGTERM stops after the current batch, saves \
            the shard in progress and exits with status 130 (SIGINT) or 143 (SIGTERM); running the same command \
            again continues there and gives the same shards as an uninterrupted run with the same options. Files left out by \
            --skip-bad-images are listed in index.json ("skipped", with the reason). One extraction at a time may \
            use an output folder (OUT/.dimr.lock); `dimr train --latents` refuses a folder whose extraction is \
            unfinished. The authors encode with autoencoder_kl.pth.
            """)

    @Argument(help: "The image folder: FOLDER/<class>/<image>.") var folder: String
    @Argument(help: "The latent folder to write (created; resumed if it holds the same extraction).") var output: String
    @Option(help: "The autoencoder weights: the authors' autoencoder_kl.pth (or _ema), or safetensors.") var autoencoder: String
    @Option(help: "Side of the square crops in pixels (a multiple of 8).") var imageSize = 256
    @Option(help: "Images per shard file.") var shardSize = 1024
    @Option(help: "Images per encoder batch (each is also encoded flipped).") var batchSize = 8
    @Option(parsing: .unconditional, help: "libtorch threads (default: libtorch's choice).") var threads: Int?
    @Option(parsing: .unconditional, help: "A progress line every N batches when standard error is not a terminal (a log file, a pipe).")
    var logEvery = 100
    @Flag(help: "Skip images that cannot be decoded, listing them in index.json, instead of stopping.") var skipBadImages = false

    func validate() throws {
        guard imageSize >= 8, imageSize % 8 == 0, imageSize <= 4096 else {
            throw ValidationError("--image-size must be a multiple of 8 between 8 and 4096, got \(imageSize)")
        }
        guard (1...(1 << 20)).contains(shardSize) else { throw ValidationError("--shard-size must be in 1...1048576, got \(shardSize)") }
        guard (1...4096).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...4096, got \(batchSize)") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024, got \(threads)") }
        guard logEvery >= 1 else { throw ValidationError("--log-every must be at least 1, got \(logEvery)") }
        guard FileManager.default.fileExists(atPath: autoencoder) else { throw ValidationError("--autoencoder: no file \(autoencoder)") }
    }

    func run() throws {
        try OptionChecks.plainErrors { try extract() }
    }

    /// Extracts (or continues), then reports; an interruption exits with status 128 + the signal's number.
    private func extract() throws {
        if let threads { Torch.numThreads = threads }
        let extraction = try LatentExtraction(sourceFolder: folder, output: output, imageSize: imageSize, shardSize: shardSize,
                                              batchSize: batchSize, skipBadImages: skipBadImages)
        print("extract-latents: \(extraction.source.files.count) images in \(extraction.source.classNames.count) classes,"
              + " \(imageSize)x\(imageSize) crops, shards of \(shardSize)")
        let model = try AutoencoderFile.load(autoencoder)
        Interrupt.install()
        var bar = ProgressBar(total: extraction.source.files.count)
        var batches = -1   // progress comes once before the first batch, then after each
        let outcome = try withNoGrad {
            try extraction.run(autoencoder: model, autoencoderPath: autoencoder,
                               command: CommandLine.arguments.joined(separator: " "),
                               progress: { done, _ in
                                   batches += 1
                                   bar.update(step: done, items: done, fields: [], force: batches > 0 && batches % logEvery == 0)
                               })
        }
        bar.finish()
        let index = outcome.index
        for name in outcome.removedTemporaries { print("removed \(output)/\(name), a temporary file left by a killed writer") }
        if outcome.resumedAt == index.sourceCount {
            print("\(output) already holds this extraction, complete: nothing to do")
        } else if outcome.resumedAt > 0 {
            print("continued an unfinished extraction after image \(outcome.resumedAt) of \(index.sourceCount)"
                  + (outcome.redidShard ? " (its shard in progress did not match the index and was extracted again)" : ""))
        }
        if !index.skipped.isEmpty {
            print("skipped \(index.skipped.count) unreadable images (listed in \(output)/index.json), e.g. "
                  + "\(index.skipped[0].path): \(index.skipped[0].reason)")
        }
        if outcome.interrupted {
            let number = Interrupt.receivedSignal ?? SIGINT
            let partial = index.partial.map { " and \($0.count) of the shard in progress" } ?? ""
            FileHandle.standardError.write(Data(("interrupted (\(number == SIGTERM ? "SIGTERM" : "SIGINT")): \(index.processed) of "
                + "\(index.sourceCount) images done, \(index.extracted) in complete shards\(partial) saved in \(output); "
                + "run the same command again to continue\n").utf8))
            throw ExitCode(128 + number)
        }
        print("wrote \(output): \(index.extracted) images in \(index.shards.count) shards, moments \(index.momentsShape)")
    }
}
