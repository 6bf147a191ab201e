import ArgumentParser
import Torch

/// The `dimr` command-line tool.
@main
struct Dimr: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dimr",
        abstract: "Train, sample and evaluate DiMR multi-resolution diffusion models on libtorch.",
        subcommands: [Info.self, Train.self, Sample.self, Export.self, Convert.self, Parity.self, Eval.self, EvalRef.self, TrainClassifier.self]
    )
}
