import ArgumentParser
import DiMR
import Torch

/// `dimr info`: versions, threads and devices; with `--preset`, a model configuration's size and shapes.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print libtorch version, threads and CUDA availability, or describe a model preset.")

    @Option(name: .long, help: "Describe a model preset instead (\(DiMRConfig.presets.map(\.name).joined(separator: ", "))).")
    var preset: String?

    func run() throws {
        if let preset {
            for line in ModelInfo.lines(for: try DiMRConfig.preset(named: preset)) { print(line) }
            return
        }
        print("dimr: DiMR for Swift")
        print("libtorch: \(Torch.version)")
        print("threads: \(Torch.numThreads)")
        print("cuda: \(Torch.cudaAvailable ? "available, \(Torch.cudaDeviceCount) device(s)" : "not available")")
    }
}
