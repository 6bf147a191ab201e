import Autoencoder
import Torch

/// An autoencoder parity fixture: reference numbers made by running the authors' `libs/autoencoder.py`, in one
/// safetensors file (metadata `ddconfig`, `embed_dim`, `scale_factor`; tensors `model.<name>`, `input.image`,
/// `input.noise`, `output.moments`, `output.latent`, `output.decoded`).
///
/// Every accessor throws an error naming the file and the missing or malformed key.
public struct AutoencoderFixture: @unchecked Sendable {
    /// The opened file.
    public let file: SafeTensorsFile
    /// The configuration from the `ddconfig`, `embed_dim` and `scale_factor` metadata.
    public let config: AutoencoderConfig
    /// Where the model runs and the tensors go (`dimr parity --device`); the CPU by default.
    public var device: Device = .cpu

    /// Where the fixture was read from.
    public var path: String { file.path }

    /// Whether `file` is an autoencoder fixture (its metadata has `ddconfig`).
    public static func recognizes(_ file: SafeTensorsFile) -> Bool { file.metadata["ddconfig"] != nil }

    /// Opens and validates the header of `path` and decodes its configuration.
    public init(path: String) throws {
        try self.init(file: SafeTensorsFile(path: path))
    }

    /// Decodes the configuration of an opened file.
    public init(file: SafeTensorsFile) throws {
        self.file = file
        func metadata(_ key: String) throws -> String {
            guard let value = file.metadata[key] else { throw PipelineError("fixture \(file.path) has no metadata key \(key)") }
            return value
        }
        let embedText = try metadata("embed_dim"), scaleText = try metadata("scale_factor")
        guard let embedDim = Int(embedText) else {
            throw PipelineError("fixture \(file.path): metadata key embed_dim is not an integer: \(embedText)")
        }
        guard let scale = Double(scaleText) else {
            throw PipelineError("fixture \(file.path): metadata key scale_factor is not a number: \(scaleText)")
        }
        do {
            config = try AutoencoderConfig.fromDDConfig(metadata("ddconfig"), embedDim: embedDim, scaleFactor: scale)
        } catch let error as AutoencoderError {
            throw PipelineError("fixture \(file.path): metadata key ddconfig: \(error.message)")
        }
    }

    /// The float32 tensor named `key`, of rank 4.
    public func tensor(_ key: String) throws -> Tensor {
        guard let info = file.entries[key] else { throw PipelineError("fixture \(path) has no tensor \(key)") }
        guard info.dtype == .float32, info.shape.count == 4 else {
            throw PipelineError("fixture \(path): tensor \(key) is \(info.dtype) \(info.shape), expected float32 of rank 4")
        }
        let tensor = try file.tensor(key)
        return device == .cpu ? tensor : try tensor.to(device: device)
    }

    /// The weights (`model.<name>`), keyed by the reference state-dict names.
    public func stateDict() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for name in file.entries.keys where name.hasPrefix("model.") { out[String(name.dropFirst(6))] = try file.tensor(name) }
        guard !out.isEmpty else { throw PipelineError("fixture \(path) has no model.* tensors") }
        return out
    }

    /// The autoencoder built from the configuration with the `model.*` weights loaded strictly.
    public func makeModel() throws -> AutoencoderKL {
        do {
            let model = try AutoencoderKL(config: config, weights: stateDict())
            try model.to(device: device)
            return model
        } catch let error as AutoencoderError {
            throw PipelineError("fixture \(path): \(error.message)")
        }
    }
}
