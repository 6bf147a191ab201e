import ArgumentParser
import DiMR
import Diffusion
import Foundation
import Pipeline
import Torch

/// `dimr parity FILE`: checks the Swift model against a fixture of the authors' reference numbers.
struct Parity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare forward outputs, training loss and gradients with a fixture made by the authors' PyTorch code.",
        discussion: """
            Loads the configuration (metadata `config`) and weights (`model.*`) of FILE, runs the forward pass with \
            per-sample and with shared time, the multi-scale training loss and the gradient of its mean, and prints \
            the worst relative error max|ours - ref| / max|ref| of each group. Exits non-zero past the tolerances \
            (1e-5 for outputs, targets, loss and sampler results; 1e-4 for gradients). When FILE holds sampler \
            rows (`sample.constant.result`, `sample.decay.result`), the authors' guided DPM-Solver is run too. \
            An autoencoder fixture (metadata `ddconfig`) is checked on its moments, latent and decoding (1e-5).
            """)

    @Argument(help: "A parity fixture (.safetensors).")
    var file: String

    @Flag(name: .long, help: "Print every comparison, not only the worst of each group.")
    var verbose = false

    @Option(name: .long, parsing: .unconditional, help: "libtorch intra-op threads, 1...\(OptionChecks.maxThreads) (default: libtorch's choice).")
    var threads: Int?

    @Option(help: "Device: cpu or cuda[:N] (on CUDA, TF32 is turned off so that float32 is compared with float32).")
    var device: String = "cpu"

    func validate() throws {
        try OptionChecks.threads(threads)
        _ = try OptionChecks.device(device)
    }

    func run() throws {
        OptionChecks.applyThreads(threads)
        let device = try OptionChecks.device(device)
        try device.validate()
        if device != .cpu { Torch.setAllowTF32(false) }
        if AutoencoderFixture.recognizes(try SafeTensorsFile(path: file)) { return try runAutoencoder(on: device) }
        var fixture = try ParityFixture(path: file)
        fixture.device = device
        let config = fixture.config
        print("fixture: \(file)\(device == .cpu ? "" : " on \(device)")")
        print("model: \(config.stageConfigs.count) stages, norm \(config.normType.rawValue), "
              + "\(config.parameterCount.formatted()) parameters")

        var groups = try ModelParity.run(fixture)
        // SAMPLER ROWS: the guided samplers, through Diffusion's sampler and guidance (see SamplerParity).
        if let samplers = try SamplerParity.group(fixture) { groups.append(samplers) }

        for group in groups { print(ParityReport.line(group)) }
        if verbose {
            for group in groups {
                for c in group.comparisons { print("  \(group.name): \(c.key)  \(ParityReport.format(c.error))") }
            }
        }
        let failed = groups.filter { !$0.passed }
        if failed.isEmpty {
            print("parity: ok")
        } else {
            print("parity: FAILED (\(failed.map(\.name).joined(separator: ", ")))")
            throw ExitCode(1)
        }
    }
}

/// Formatting of parity results.
enum ParityReport {
    /// A relative error in scientific notation.
    static func format(_ value: Double) -> String { value.isNaN ? "nan" : String(format: "%.2e", value) }

    /// One line per group: name, count, worst error with its key, tolerance, verdict.
    static func line(_ group: ParityGroup) -> String {
        let worst = group.worst
        let name = group.name.padding(toLength: 26, withPad: " ", startingAt: 0)
        let count = "\(group.comparisons.count)".leftPadded(to: 4)
        let error = worst.map { format($0.error) } ?? "-"
        let verdict = group.passed ? "ok" : "FAIL"
        let noun = group.comparisons.count == 1 ? "tensor " : "tensors"
        return "\(name) \(count) \(noun)  worst \(error) (\(worst?.key ?? "none"))  tolerance \(format(group.tolerance))  \(verdict)"
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
