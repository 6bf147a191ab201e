import ArgumentParser
import DiMR
import Pipeline
import Torch

/// `dimr info`: versions, threads and devices; the presets; with `--preset`, a model configuration's size and shapes.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print libtorch version, threads and CUDA availability, list the model presets, or describe one.")

    @Option(name: .long, help: "Describe a model preset instead (\(DiMRConfig.presets.map(\.name).joined(separator: ", "))).")
    var preset: String?

    @Flag(name: .long, help: "List the model presets with their image size, parameter count and default training recipe.")
    var presets = false

    func run() throws {
        try OptionChecks.plainErrors {
            if let preset {
                for line in ModelInfo.lines(for: try DiMRConfig.preset(named: preset)) { print(line) }
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
        }
    }
}
