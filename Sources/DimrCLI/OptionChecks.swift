import ArgumentParser
import Foundation
import DiMR
import Diffusion
import Pipeline
import Torch

extension Precision: ExpressibleByArgument {}
extension SamplerName: ExpressibleByArgument {}

/// Range checks of numeric options, run by the commands' `validate()` before any file is read or any
/// work is done; each message names the option.
enum OptionChecks {
    /// The most libtorch threads accepted: 4 x the cores here, at most 1024. More threads than cores only
    /// make libtorch's threads wait for each other, and each thread costs a stack; a mistyped 100000 would
    /// start that many threads.
    static var maxThreads: Int { min(1024, 4 * max(1, ProcessInfo.processInfo.activeProcessorCount)) }

    /// `--threads`: 1...maxThreads when given.
    static func threads(_ value: Int?) throws {
        guard let value else { return }
        guard value >= 1 else { throw ValidationError("--threads must be at least 1, got \(value)") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard value <= maxThreads else {
            throw ValidationError("--threads \(value) is more than \(maxThreads) (4 x the \(cores) cores here, at most 1024): "
                                  + "more threads than cores only slow libtorch down")
        }
    }

    /// Sets libtorch's intra-op threads when given (after `threads` accepted the value).
    static func applyThreads(_ value: Int?) {
        if let value { Torch.numThreads = value }
    }

    /// `name` must be in `range`; `meaning` (e.g. "0 = never") is added to the message.
    static func integer(_ name: String, _ value: Int, in range: ClosedRange<Int>, meaning: String? = nil) throws {
        guard range.contains(value) else {
            let bounds = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
            throw ValidationError("\(name) must be \(bounds)\(meaning.map { " (\($0))" } ?? ""), got \(value)")
        }
    }

    /// The finite float32 numbers, for options whose value is used in float32 arithmetic.
    static let float32Range = -Double(Float.greatestFiniteMagnitude)...Double(Float.greatestFiniteMagnitude)

    /// `name` must be a finite number in `range`.
    static func real(_ name: String, _ value: Double, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude,
                     meaning: String? = nil) throws {
        guard value.isFinite, range.contains(value) else {
            var bounds = "a finite number"
            if range.lowerBound > -Double.greatestFiniteMagnitude && range.upperBound < Double.greatestFiniteMagnitude {
                bounds += " in [\(range.lowerBound), \(range.upperBound)]"
            } else if range.lowerBound > -Double.greatestFiniteMagnitude {
                bounds += " >= \(range.lowerBound)"
            }
            throw ValidationError("\(name) must be \(bounds)\(meaning.map { " (\($0))" } ?? ""), got \(value)")
        }
    }

    /// `--device`: cpu, cuda or cuda:N.
    static func device(_ text: String) throws -> Device {
        guard let device = Device(parsing: text) else { throw ValidationError("--device must be cpu, cuda or cuda:N, got \(text)") }
        return device
    }

    /// The help of `--precision`.
    static let precisionHelp = ArgumentHelp(
        "Arithmetic: float32, or bf16 (matrix multiplies and convolutions in bfloat16, attention and depthwise "
        + "convolutions too on CUDA; weights, norms, loss, optimizer, guidance and solver in float32). "
        + "bf16 needs a CPU with AVX512-BF16 or AMX, or a CUDA device.",
        valueName: "float32|bf16")

    /// `--precision` on `--device`: bf16 is refused on a CPU without bfloat16 instructions (it would run slower
    /// than float32 there).
    static func precision(_ precision: Precision, device text: String) throws {
        let device = try self.device(text)
        do {
            try precision.checkSupport(on: device)
        } catch let error as TorchError {
            throw ValidationError("--precision \(precision): \(error.message)")
        }
    }

    /// Runs `body`, turning errors into plain messages (no framework error domains, no usage text: the options
    /// were valid), passing exit codes through.
    static func plainErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw CommandError(error.message)
        } catch let error as CleanExit {
            throw error
        } catch {
            throw CommandError(FileErrors.reason(error))
        }
    }

    /// The model configuration given by `--preset` or `--config` (nil when neither), and the preset's image size.
    static func givenConfiguration(preset: String?, config: String?) throws -> (NetworkConfig?, Int?) {
        if let preset {
            let p = try NetworkPreset.named(preset)
            return (p.config, p.imageSize)
        }
        if let config {
            let text: String
            do { text = try String(contentsOfFile: config, encoding: .utf8) } catch {
                throw ValidationError("cannot read --config \(config): \(FileErrors.reason(error))")
            }
            return (try NetworkConfig.fromJSON(text), nil)
        }
        return (nil, nil)
    }
}
