import ArgumentParser
import DiMR
import Pipeline
import Torch

/// `dimr info`: versions, threads and devices; the presets; with `--preset`, a model configuration's size and shapes.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print libtorch version, threads and CUDA availability, list the model presets, or describe one.")

    @Option(name: .long, help: "Describe a model preset instead (\(NetworkPreset.all.map(\.name).joined(separator: ", "))).")
    var preset: String?

    @Option(name: .long, help: "Describe the model of a configuration JSON file (DiMR in the authors' field names, or DiT).")
    var config: String?

    @Option(name: .long, parsing: .unconditional, help: "Image side for --config (default: the size the configuration is built for).")
    var imageSize: Int?

    @Flag(name: .long, help: "List the model presets with their image size, parameter count and default training recipe.")
    var presets = false

    func run() throws {
        try OptionChecks.plainErrors {
            if let preset {
                for line in ModelInfo.lines(for: try NetworkPreset.named(preset)) { print(line) }
                return
            }
            if let config, case let (model?, _) = try OptionChecks.givenConfiguration(preset: nil, config: config) {
                let size = imageSize ?? model.naturalImageSize
                try OptionChecks.integer("--image-size", size, in: 1...DiMRConfig.maxImageSize)
                do { try model.validate(imageSize: size) } catch { throw ValidationError("--image-size \(size) does not fit the model: \(error)") }
                for line in ModelInfo.lines(for: model, imageSize: size) { print(line) }
                return
            }
            if presets {
                for line in ModelInfo.presetList() { print(line) }
                return
            }
            print("dimr \(Dimr.version): DiMR for Swift")
            print("libtorch: \(Torch.version)")
            print("threads: \(Torch.numThreads)")
            print("cuda: \(Torch.cudaAvailable ? "available, \(Torch.cudaDeviceCount) device(s)" : "not available")")
            print("data parallel: Gloo (cpu)" + (ProcessGroup.ncclVersion.map { ", NCCL \($0) (cuda)" }
                                                   ?? "; no NCCL in this build (scripts/build-cuda.sh makes one with it)"))
        }
    }
}
