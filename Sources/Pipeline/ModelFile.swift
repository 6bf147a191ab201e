import Datasets
import DiMR
import Foundation
import NN
import Torch

/// A trained model read from a file: a training checkpoint, exported weights or a parity fixture.
///
/// Any safetensors file with a `config` entry in its metadata (the authors' field names) and the
/// weights under `model.` works; training checkpoints also hold `ema.` weights, used by default. Files
/// that hold weights only (the authors' released `.pth` state dicts, `dimr convert` output) need the
/// configuration from elsewhere (`configuration:`, e.g. a preset). The model is built without random
/// initialisation and takes the loaded tensors themselves, so the weights are held once.
public struct ModelFile {
    /// The network, in evaluation mode.
    public let model: any DenoisingModule
    /// Its configuration.
    public let config: NetworkConfig
    /// Input height = width.
    public let imageSize: Int
    /// The class index meaning "no class".
    public let nullClass: Int
    /// Which weights were loaded.
    public let weights: WeightsKind
    /// Class names in label order, when the file records them (image-folder runs) or they follow from its
    /// training data (Fashion-MNIST); there may be fewer names than classes.
    public let classNames: [String]?

    /// Loads `path`, preferring EMA weights when present and `useEMA`.
    /// - Throws: `PipelineError` when the file lacks a configuration or weights, holds an unconditional model,
    ///   or holds only EMA weights and `useEMA` is false; the reader's errors for a bad file.
    public init(path: String, useEMA: Bool = true, device: Device = .cpu, configuration: NetworkConfig? = nil,
                imageSize givenSize: Int? = nil) throws {
        if try Self.format(path) == .pytorchZip {
            guard let configuration else {
                throw PipelineError("\(path) is a PyTorch state dict, which holds weights only: give the model with --preset (e.g. DiMR-XL/2R) or --config")
            }
            let checkpoint = try PyTorchCheckpoint(path: path)
            try self.init(config: configuration, state: checkpoint.stateDict, kind: .saved, imageSize: givenSize,
                          classNames: nil, path: path, device: device)
            return
        }
        let file = try Self.open(path)
        let config: NetworkConfig
        if let configText = file.metadata["config"] {
            config = try NetworkConfig.fromJSON(configText)
            if let configuration, configuration != config {
                throw PipelineError("\(path) records its own model configuration, which differs from the one given with --preset / --config: leave the option out")
            }
        } else if let configuration {
            config = configuration
        } else {
            throw PipelineError("\(path) has no model configuration (metadata key \"config\"): give it with --preset or --config")
        }
        guard let classes = config.numClasses, classes >= 2 else {
            throw PipelineError("\(path) holds an unconditional model; sampling here needs classes")
        }
        let hasEMA = file.entries.keys.contains { $0.hasPrefix("ema.") }
        let prefix = useEMA && hasEMA ? "ema." : "model."
        let kind: WeightsKind = hasEMA ? (useEMA ? .ema : .raw) : WeightsKind.ofExported(file.metadata["weights"])
        if !useEMA && kind == .ema {
            throw PipelineError("\(path) holds only the EMA weights (an exported model); the raw weights are in the training checkpoint")
        }
        var state: [String: Tensor] = [:]
        for name in file.entries.keys where name.hasPrefix(prefix) {
            state[String(name.dropFirst(prefix.count))] = try file.tensor(name)
        }
        guard !state.isEmpty else { throw PipelineError("\(path) holds no weights under \(prefix)") }
        var size = givenSize
        if size == nil, let text = file.metadata["image_size"] {
            guard let value = Int(text) else { throw PipelineError("\(path) has a bad image_size \(text)") }
            size = value
        }
        try self.init(config: config, state: state, kind: kind, imageSize: size,
                      classNames: try Self.classNames(file, path: path, count: classes - 1), path: path, device: device)
    }

    /// Builds the model of `config` without initialising it and hands it the tensors of `state`.
    private init(config: NetworkConfig, state: [String: Tensor], kind: WeightsKind, imageSize givenSize: Int?,
                 classNames: [String]?, path: String, device: Device) throws {
        guard let classes = config.numClasses, classes >= 2 else {
            throw PipelineError("\(path) holds an unconditional model; sampling here needs classes")
        }
        let size: Int
        if let givenSize {
            size = givenSize
        } else {
            size = config.naturalImageSize
        }
        do { try config.validate(imageSize: size) } catch {
            throw PipelineError("\(path): image size \(size) does not fit the model: \(error)")
        }
        // A NaN or infinity in the weights turns every sample into NaN (saved as black images): refuse it by name.
        for (name, tensor) in state.sorted(by: { $0.key < $1.key }) where tensor.dtype.isFloatingPoint {
            let bad = try tensor.isFinite().logicalNot().sum().itemInt()
            if bad > 0 { throw PipelineError("\(path): weight \(name) holds \(bad) NaN or infinite values") }
        }
        let model = try Init.skipping { try config.makeNetwork() }
        do {
            try model.loadStateDict(state, assign: true)
        } catch {
            throw PipelineError("\(path) does not hold this model's weights: \(error)")
        }
        try model.to(device: device)
        model.eval()
        self.model = model
        self.config = config
        weights = kind
        nullClass = classes - 1
        imageSize = size
        self.classNames = classNames
    }

    /// The format of the weights file at `path`, told from its first bytes (a `.pth` renamed `.safetensors` still
    /// loads); a plain-words error when it cannot be read, is a folder, or is in no format read here.
    static func format(_ path: String) throws -> WeightsFormat {
        guard access(path, R_OK) == 0 else { throw PipelineError("cannot read \(path): \(FileErrors.lastReason)") }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw PipelineError("\(path) is a folder, not a weights file")
        }
        let format: WeightsFormat
        do { format = try WeightsFormat.detect(path: path) } catch let error as TorchError { throw PipelineError(error.message) }
        if format == .pytorchLegacy {
            throw PipelineError("\(path) is a PyTorch checkpoint in the legacy (pre-1.6) format: re-save it with a recent torch.save")
        }
        return format
    }

    /// Opens `path`, saying in plain words why it cannot be read ("No such file or directory").
    static func open(_ path: String) throws -> SafeTensorsFile {
        guard access(path, R_OK) == 0 else { throw PipelineError("cannot read \(path): \(FileErrors.lastReason)") }
        return try SafeTensorsFile(path: path)
    }

    /// The class names a file records (`class_names`; an image folder may name fewer classes than the model has),
    /// or Fashion-MNIST's when it was trained on that; nil otherwise.
    static func classNames(_ file: SafeTensorsFile, path: String, count: Int) throws -> [String]? {
        if let text = file.metadata[Trainer.classNamesKey] {
            guard let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)), names.count <= count else {
                throw PipelineError("\(path) has a class_names entry that is not a list of at most \(count) names")
            }
            return names
        }
        if let text = file.metadata["training"], let training = try? TrainingConfig.parse(text),
           case .fashionMNIST = training.dataset, count == FashionMNIST.classCount {
            return FashionMNIST.classNames
        }
        return nil
    }

    /// Writes the EMA weights of a training checkpoint (the raw ones when it has none) as a small file for
    /// sampling, optionally in float16.
    public static func export(checkpoint path: String, to output: String, half: Bool) throws {
        let file = try open(path)
        guard let config = file.metadata["config"] else { throw PipelineError("\(path) has no model configuration") }
        let hasEMA = file.entries.keys.contains { $0.hasPrefix("ema.") }
        let prefix = hasEMA ? "ema." : "model."
        var tensors: [String: Tensor] = [:]
        for name in file.entries.keys where name.hasPrefix(prefix) {
            let t = try file.tensor(name)
            tensors["model." + name.dropFirst(prefix.count)] = half && t.dtype == .float32 ? try t.to(.float16) : t
        }
        let kind: WeightsKind = hasEMA ? .ema : WeightsKind.ofExported(file.metadata["weights"])
        var metadata = ["config": config, "format": "dimr-weights/1", "weights": kind.rawValue]
        for key in ["image_size", "null_class", "loss_coeffs", "step", "training", Trainer.classNamesKey, Trainer.recipeChangesKey] {
            metadata[key] = file.metadata[key]
        }
        do {
            try SafeTensors.save(tensors, metadata: metadata, to: output)
        } catch {
            throw PipelineError("cannot write \(output): \(FileErrors.reason(error))")
        }
    }
}
