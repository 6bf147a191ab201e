import ArgumentParser
import Foundation
import Torch

/// `dimr convert`: a PyTorch `.pth` state dict (the authors' released checkpoints) as safetensors.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a PyTorch checkpoint (.pth, torch.save's zip format) to safetensors.",
        discussion: """
            Reads the state dict with a restricted unpickler (only tensors and containers load, as with \
            torch.load(weights_only=True)), strips `module.` and `_orig_mod.` prefixes, and writes the \
            tensors under `model.<name>` unchanged in dtype and bytes. A state dict nested under a key such \
            as `model` or `state_dict` is found and named.
            """)

    @Argument(help: "The PyTorch checkpoint (.pth).") var input: String
    @Argument(help: "Output .safetensors file.") var output: String

    func validate() throws {
        guard input != output else { throw ValidationError("the output would overwrite the input \(input)") }
        guard output.hasSuffix(".safetensors") else { throw ValidationError("the output \(output) should end in .safetensors") }
    }

    func run() throws {
        let checkpoint = try PyTorchCheckpoint(path: input)
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in checkpoint.tensors { tensors["model." + name] = tensor }
        var metadata = ["format": "dimr-weights/1", "source": (input as NSString).lastPathComponent]
        if !checkpoint.location.isEmpty { metadata["source_key"] = checkpoint.location.joined(separator: ".") }
        try SafeTensors.save(tensors, metadata: metadata, to: output)
        let count = checkpoint.tensors.reduce(0) { $0 + $1.tensor.count }
        var notes: [String] = []
        if !checkpoint.location.isEmpty { notes.append("state dict found under \"\(checkpoint.location.joined(separator: "."))\"") }
        if !checkpoint.strippedPrefixes.isEmpty {
            notes.append("stripped the prefix \(checkpoint.strippedPrefixes.map { "\"\($0)\"" }.joined(separator: " and ")) from every name")
        }
        print("wrote \(output): \(checkpoint.tensors.count) tensors, \(count) elements" + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")))
    }
}
