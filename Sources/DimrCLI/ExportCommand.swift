import ArgumentParser
import Pipeline

/// `dimr export`: the EMA weights of a training checkpoint as a small file for sampling.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a checkpoint's EMA weights (optionally float16) for sampling.")

    @Argument(help: "A training checkpoint.") var checkpoint: String
    @Argument(help: "Output .safetensors file.") var output: String
    @Flag(help: "Store float32 weights as float16.") var half = false

    func run() throws {
        try OptionChecks.plainErrors { try ModelFile.export(checkpoint: checkpoint, to: output, half: half) }
        print("wrote \(output)")
    }
}
