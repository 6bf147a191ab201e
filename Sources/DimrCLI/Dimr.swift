import ArgumentParser
import Torch

/// The `dimr` command-line tool.
@main
struct Dimr: ParsableCommand {
    /// The tool's version.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "dimr",
        abstract: "Train, sample and evaluate DiMR multi-resolution diffusion models on libtorch.",
        version: "dimr \(version) (libtorch \(Torch.version))",
        subcommands: [Info.self, Train.self, Sample.self, Export.self, Convert.self, ExtractLatents.self, Parity.self,
                      Eval.self, EvalRef.self, TrainClassifier.self, ServeCommand.self]
    )
}
