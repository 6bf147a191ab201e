import ArgumentParser
import Torch

/// `dimr info`: versions, threads and devices.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print libtorch version, threads and CUDA availability.")

    func run() throws {
        print("dimr: DiMR for Swift")
        print("libtorch: \(Torch.version)")
        print("threads: \(Torch.numThreads)")
        print("cuda: \(Torch.cudaAvailable ? "available, \(Torch.cudaDeviceCount) device(s)" : "not available")")
    }
}
