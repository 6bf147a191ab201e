import Foundation
import DiMR
import Torch

/// A parity fixture: reference tensors made by running the authors' PyTorch DiMR, in one safetensors file
/// (`config`, `loss_coeffs`, ... in the metadata; `model.<name>`, `input.*`, `output.*`, `loss.*`, `grad.*` tensors).
///
/// Every accessor throws an error naming the file and the missing or malformed key.
public struct ParityFixture: @unchecked Sendable {
    /// The opened file.
    public let file: SafeTensorsFile
    /// The model configuration from the `config` metadata.
    public let config: DiMRConfig
    /// Where the model runs and the tensors go (`dimr parity --device`); the CPU by default.
    public var device: Device = .cpu

    /// Where the fixture was read from.
    public var path: String { file.path }

    /// Opens and validates the header of `path` and decodes its configuration.
    public init(path: String) throws {
        file = try SafeTensorsFile(path: path)
        let json = try ParityFixture.metadata("config", in: file)
        do {
            config = try DiMRConfig.fromJSON(json)
        } catch let error as DiMRError {
            throw DiMRError("fixture \(path): metadata key config: \(error.message)")
        }
    }

    private static func metadata(_ key: String, in file: SafeTensorsFile) throws -> String {
        guard let value = file.metadata[key] else {
            throw DiMRError("fixture \(file.path) has no metadata key \(key)")
        }
        return value
    }

    /// A metadata string.
    public func metadata(_ key: String) throws -> String { try ParityFixture.metadata(key, in: file) }

    /// Whether the fixture holds a tensor named `key`.
    public func has(_ key: String) -> Bool { file.entries[key] != nil }

    /// The tensor named `key`, checked against an expected dtype and rank when given.
    public func tensor(_ key: String, dtype: DType? = nil, rank: Int? = nil) throws -> Tensor {
        guard let info = file.entries[key] else { throw DiMRError("fixture \(path) has no tensor \(key)") }
        if let dtype, info.dtype != dtype {
            throw DiMRError("fixture \(path): tensor \(key) is \(info.dtype), expected \(dtype)")
        }
        if let rank, info.shape.count != rank {
            throw DiMRError("fixture \(path): tensor \(key) has shape \(info.shape), expected rank \(rank)")
        }
        let tensor = try file.tensor(key)
        return device == .cpu ? tensor : try tensor.to(device: device)
    }

    /// Names of the tensors under `prefix` (without it), sorted.
    public func names(withPrefix prefix: String) -> [String] {
        file.entries.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    /// The model weights (`model.<name>`), keyed by the authors' parameter names.
    public func stateDict() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for name in names(withPrefix: "model.") { out[name] = try file.tensor("model." + name) }  // on the CPU; makeModel moves the model
        guard !out.isEmpty else { throw DiMRError("fixture \(path) has no model.* tensors") }
        return out
    }

    /// The loss weights per stage output (`loss_coeffs`, a JSON list), low resolution first.
    public func lossCoefficients() throws -> [Double] {
        let text = try metadata("loss_coeffs")
        guard let values = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [NSNumber], !values.isEmpty else {
            throw DiMRError("fixture \(path): metadata key loss_coeffs is not a JSON list of numbers: \(text)")
        }
        let coefficients = values.map(\.doubleValue)
        guard coefficients.count == config.stageConfigs.count else {
            throw DiMRError("fixture \(path): loss_coeffs has \(coefficients.count) values for \(config.stageConfigs.count) stages")
        }
        return coefficients
    }

    /// A model built from the fixture's configuration with its weights loaded, in evaluation mode.
    public func makeModel() throws -> DiMRModel {
        let model = try DiMRModel(config: config, generator: Generator(seed: 0))  // weights are replaced below
        do {
            try model.loadStateDict(stateDict())
        } catch let error as TorchError {
            throw DiMRError("fixture \(path): the model.* weights do not fit the configuration: \(error.message)")
        }
        model.eval()
        try model.to(device: device)
        return model
    }
}
