import Datasets
import Diffusion
import Foundation
import NN
import Torch

/// What one training step reports.
public struct StepReport: Sendable {
    /// The step just completed (1 for the first).
    public let step: Int
    /// Mean loss of the batch.
    public let loss: Double
    /// Learning rate used.
    public let learningRate: Double
    /// Gradient norm before clipping (when clipping is on).
    public let gradNorm: Double?
    /// Whether training should stop after this step: an interrupt on this process, or with data parallelism on any rank.
    public var stopRequested = false
}

/// A training run of a DiMR or DiT network: model, EMA, AdamW, data order and noise generator, saved and restored as one.
///
/// A run resumed from a checkpoint continues exactly: the same batches, the same noise, the same
/// optimizer state, so `n` steps straight and `k + resume + (n - k)` steps give the same losses.
public final class Trainer {
    /// The run's configuration.
    public let config: TrainingConfig
    /// The network being trained.
    public let model: any DenoisingModule
    /// The EMA of the network's parameters.
    public let ema: ExponentialMovingAverage
    /// The optimizer.
    public let optimizer: AdamW
    /// The batches.
    public let loader: any TrainingBatchSource
    /// Steps completed.
    public private(set) var step = 0
    /// What identifies the training data (saved in checkpoints and compared on resume), when known.
    public var dataIdentity: DataIdentity?
    /// Class names in label order (saved in checkpoints, so `dimr sample --classes` takes names), when known.
    public var classNames: [String]?
    /// The recipe changes made on resume (`restore(from:allowingRecipeChanges:)`), `step N: --lr: ... in the
    /// checkpoint, ... in this run`, oldest first; saved in checkpoints, so a weight file tells how it was trained.
    public private(set) var recipeChanges: [String] = []
    /// The precision the restored checkpoint's steps ran in ("float32" or "bf16"), when it says; nil for a new run.
    public private(set) var restoredPrecision: String?
    private let loss: TrainingLoss
    private let schedule: LinearWarmup
    private let noise: Generator
    /// Where the model and its batches live.
    public let device: Device
    /// The arithmetic of the forward pass (weights, gradients, optimizer state and EMA stay float32 either way).
    /// Not part of the configuration: a run may resume in another precision. Check it with
    /// `Precision.checkSupport(on: device)` before training.
    public var precision: Precision = .float32
    /// Whether a stop was asked for (polled once per step; by default Ctrl-C or SIGTERM, see `Interrupt`).
    public var stopRequested: @Sendable () -> Bool = { Interrupt.requested }
    /// The data-parallel group this trainer is one rank of (nil: a single process); set by `join(_:)`.
    public private(set) var dataParallel: DataParallel?

    /// Starts a new run on `images` (N, C, H, W) in [-1, 1] and int64 `labels` (N).
    public convenience init(config: TrainingConfig, images: Tensor, labels: Tensor, device: Device = .cpu) throws {
        try config.validate()
        let c = config.model.channels
        guard images.rank == 4, images.size(1) == c, images.size(2) == config.imageSize, images.size(3) == config.imageSize else {
            throw PipelineError("training images have shape \(images.shape); the model wants (N, \(c), \(config.imageSize), \(config.imageSize))")
        }
        let maxLabel = try labels.max().itemInt()
        guard maxLabel < config.nullClass else {
            throw PipelineError("labels go up to \(maxLabel) but the model has \(config.nullClass) classes plus the null class")
        }
        let loader = try DataLoader(images: images, labels: labels, batchSize: config.batchSize, shuffle: true, dropLast: true,
                                    randomFlip: config.randomFlip, seed: config.seed)
        try self.init(config: config, batches: loader, device: device)
    }

    /// Starts a new run on the batches of `batches` (whose inputs must fit the model: (B, C, S, S) with
    /// C the model's channels and S `config.imageSize`, labels below `config.nullClass`).
    public init(config: TrainingConfig, batches: any TrainingBatchSource, device: Device = .cpu) throws {
        try config.validate()
        self.config = config
        self.device = device
        model = try config.model.makeNetwork(generator: Generator(seed: config.seed))
        try model.to(device: device)
        model.train()
        ema = try ExponentialMovingAverage(of: model, decay: config.emaWarmup ? .warmup(config.emaRate) : .fixed(config.emaRate))
        let groups = ParameterGroup.grouped(model.namedParameters(), weightDecay: ParameterGroup.noDecay(["nodecay_weight", "nodecay_bias"]))
        optimizer = try AdamW(groups: groups, learningRate: 0, betas: (config.beta1, config.beta2), weightDecay: config.weightDecay)
        loader = batches
        loss = TrainingLoss(schedule: try NoiseSchedule.stableDiffusion(), coefficients: config.lossCoefficients,
                            labelDropProbability: config.labelDropProbability)
        schedule = LinearWarmup(baseLearningRate: config.learningRate, warmupSteps: config.warmupSteps)
        noise = try Generator(seed: config.seed &+ 1)
    }

    /// Runs one optimisation step; throws (changing nothing it has not already changed) on a non-finite loss.
    @discardableResult
    public func trainStep() throws -> StepReport {
        // Every rank draws the whole global batch, its labels, steps and noise (in the order of
        // `TrainingLoss.perSample(generator:)`), then trains on its own rows: the images and their noise do not
        // depend on the number of ranks.
        let batch = try loader.next()
        let labels = try loss.dropLabels(batch.labels, nullClass: config.nullClass, generator: noise)
        let count = batch.images.size(0)
        let timesteps = try loss.schedule.sampleTimesteps(count, generator: noise)                // (B)
        let eps = try Tensor.randn(batch.images.shape, dtype: batch.images.dtype, generator: noise)  // (B, C, H, W)
        let (start, length) = try dataParallel?.shard(of: count) ?? (0, count)
        func rows(_ t: Tensor) throws -> Tensor {
            try (length == count ? t : t.narrow(dim: 0, start: start, length: length)).to(device: device)
        }
        let network = MixedPrecisionNetwork(model, precision: precision)
        let perSample = try loss.perSample(network: network, x0: rows(batch.images), classes: rows(labels),
                                           noise: rows(eps), timesteps: rows(timesteps))   // (B / world size)
        let mean = try perSample.mean()
        var value = try mean.item()
        var stop = stopRequested()
        if let dataParallel { (value, stop) = try dataParallel.agree(loss: value, stop: stop) }
        guard value.isFinite else {
            throw PipelineError("the loss became \(value) at step \(step + 1); training stopped, the weights of step \(step) unchanged")
        }
        try optimizer.zeroGrad()
        if let dataParallel { try dataParallel.backward(mean) } else { try mean.backward() }
        var norm: Double?
        if let clip = config.gradClip { norm = try clipGradNorm(model.parameters, maxNorm: clip) }
        // The authors' LambdaLR: the k-th optimizer step (k from 0) uses lr * min(k / warmup, 1).
        let lr = schedule.learningRate(atStep: step)
        optimizer.learningRate = lr
        try optimizer.step()
        try ema.update(from: model)
        step += 1
        var report = StepReport(step: step, loss: value, learningRate: lr, gradNorm: norm)
        report.stopRequested = stop
        return report
    }

    /// Makes this trainer one rank of `dataParallel`: checks that every rank stands at the same step with the same
    /// data and random states, then copies rank 0's weights, buffers, EMA and optimizer moments to every rank.
    /// - Throws: `PipelineError` when the global batch does not divide among the ranks, the model is not on the group's
    ///   device (the CPU for Gloo, this rank's GPU for NCCL), the ranks' states differ (naming both), or a peer fails.
    public func join(_ dataParallel: DataParallel, timeout: Duration) throws {
        _ = try dataParallel.perRankBatch(config.batchSize)
        let group = dataParallel.group
        guard device == group.device else {
            throw PipelineError("the model is on \(device) but this rank's \(group.backend.rawValue) process group communicates on "
                                + "\(group.device): a data-parallel rank trains on its group's device (Gloo: cpu; NCCL: its GPU)")
        }
        var summary = "step \(step), \(ema.updateCount) EMA updates, \(loader.count) images"
        var hash = Fingerprint()
        for (_, t) in try loader.state().tensors(prefix: "").sorted(by: { $0.key < $1.key }) { hash.add(try t.bytes()) }
        hash.add(try noise.state().bytes())
        summary += ", data order and noise state \(hash.hex)"
        try dataParallel.checkSameState(summary, timeout: timeout)
        var tensors: [String: Tensor] = [:]
        for (name, t) in model.stateDict() { tensors["model." + name] = t }
        for (name, t) in ema.stateDict(prefix: "ema.") { tensors[name] = t }
        for (name, s) in optimizer.state {
            tensors["optimizer." + name + ".exp_avg"] = s.expAvg
            tensors["optimizer." + name + ".exp_avg_sq"] = s.expAvgSq
        }
        try dataParallel.broadcastFromLeader(tensors)
        try dataParallel.track(model.parameters.map(\.tensor))
        self.dataParallel = dataParallel
    }

    /// Whether every weight of the model and its EMA is finite (a checkpoint worth keeping).
    public func weightsAreFinite() throws -> Bool {
        for t in model.stateDict().values where t.dtype.isFloatingPoint {
            if try t.isFinite().all().itemInt() == 0 { return false }
        }
        for t in ema.stateDict(prefix: "").values where t.dtype.isFloatingPoint {
            if try t.isFinite().all().itemInt() == 0 { return false }
        }
        return true
    }

    // MARK: checkpoints

    /// Metadata key of the checkpoint format.
    public static let formatKey = "format"
    /// The format written by this version.
    public static let format = "dimr-checkpoint/1"
    /// Metadata key of the data identity (JSON of `DataIdentity`).
    public static let dataKey = "data"
    /// Metadata key of the class names (a JSON array of strings, in label order).
    public static let classNamesKey = "class_names"
    /// Metadata key of `recipeChanges` (a JSON array of strings).
    public static let recipeChangesKey = "recipe_changes"

    /// Everything needed to resume, as tensors and string metadata.
    public func checkpoint() throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        var tensors: [String: Tensor] = [:]
        for (name, t) in model.stateDict() { tensors["model." + name] = t }
        for (name, t) in ema.stateDict(prefix: "ema.") { tensors[name] = t }
        for (name, t) in try optimizer.stateDict(prefix: "optimizer.") { tensors[name] = t }
        for (name, t) in try loader.state().tensors(prefix: "loader.") { tensors[name] = t }
        tensors["rng.noise"] = try noise.state()
        var metadata = [
            Self.formatKey: Self.format,
            "training": try config.json(),
            "config": try config.model.toJSON(),
            "step": String(step),
            "ema_updates": String(ema.updateCount),
            "loss_coeffs": "\(config.lossCoefficients)",
            "image_size": String(config.imageSize),
            "null_class": String(config.nullClass),
            "precision": precision.rawValue,  // of the steps before saving; the tensors are float32 either way
        ]
        if let dataIdentity { metadata[Self.dataKey] = String(decoding: try JSONEncoder().encode(dataIdentity), as: UTF8.self) }
        if let classNames { metadata[Self.classNamesKey] = String(decoding: try JSONEncoder().encode(classNames), as: UTF8.self) }
        if !recipeChanges.isEmpty {
            metadata[Self.recipeChangesKey] = String(decoding: try JSONEncoder().encode(recipeChanges), as: UTF8.self)
        }
        return (tensors, metadata)
    }

    /// Restores the state saved by `checkpoint()`; what changes the run must match this run's: the
    /// configuration (data paths aside) and, when both are known, the data's identity.
    /// - Throws: `PipelineError` listing every differing field with both values.
    ///
    /// With `allowingRecipeChanges`, the optimisation recipe (`ConfigDifference.recipeFields`: learning rate,
    /// warm-up, weight decay, EMA rate and warm-up, gradient clip) may differ: this run's values apply from the
    /// restored step on, and the changes are returned and appended to `recipeChanges`.
    /// - Returns: the recipe changes accepted (empty when none).
    @discardableResult
    public func restore(from file: SafeTensorsFile, allowingRecipeChanges: Bool = false) throws -> [String] {
        guard file.metadata[Self.formatKey] == Self.format else {
            throw PipelineError("\(file.path) is not a dimr training checkpoint (format \(file.metadata[Self.formatKey] ?? "missing"))")
        }
        guard let text = file.metadata["training"], let stepText = file.metadata["step"], let savedStep = Int(stepText), (0...(1 << 40)).contains(savedStep),
              let emaText = file.metadata["ema_updates"], let emaUpdates = Int(emaText), emaUpdates >= 0, emaUpdates <= savedStep
        else { throw PipelineError("\(file.path) lacks its training configuration or step count") }
        let all = try ConfigDifference.differences(saved: TrainingConfig.parse(text), current: config)
        let accepted = allowingRecipeChanges ? all.filter(\.isRecipe).map(\.line) : []
        var differences = allowingRecipeChanges ? all.filter { !$0.isRecipe }.map(\.line) : all.map(\.line)
        var history: [String] = []
        if let historyText = file.metadata[Self.recipeChangesKey] {
            guard let saved = try? JSONDecoder().decode([String].self, from: Data(historyText.utf8)) else {
                throw PipelineError("\(file.path) has unreadable recipe changes: \(historyText.prefix(200))")
            }
            history = saved
        }
        if let dataText = file.metadata[Self.dataKey], let current = dataIdentity {
            guard let saved = try? JSONDecoder().decode(DataIdentity.self, from: Data(dataText.utf8)) else {
                throw PipelineError("\(file.path) has an unreadable data identity: \(dataText.prefix(200))")
            }
            if !saved.sameData(as: current) {
                differences.append("training data: \(saved.description) in the checkpoint, \(current.description) in this run")
            }
        }
        guard differences.isEmpty else {
            let recipeHint = !allowingRecipeChanges && all.contains(where: \.isRecipe)
                ? " (--change-recipe lets a resumed run change the recipe: --lr, --warmup, --weight-decay, --ema-rate, --ema-warmup, --grad-clip)" : ""
            throw PipelineError("\(file.path) was written by a run with another configuration:\n  "
                                + differences.joined(separator: "\n  ")
                                + "\nresume with the same options and data, or start a new output folder" + recipeHint)
        }
        let tensors = try file.tensors()
        func section(_ prefix: String) -> [String: Tensor] {
            var out: [String: Tensor] = [:]
            for (k, v) in tensors where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
            return out
        }
        guard let rng = tensors["rng.noise"] else { throw PipelineError("\(file.path) lacks rng.noise") }
        try model.loadStateDict(section("model."))
        try ema.loadStateDict(section("ema."), updateCount: emaUpdates)
        try optimizer.loadStateDict(tensors, prefix: "optimizer.")
        try loader.restore(DataLoaderState(tensors: tensors, prefix: "loader."))
        try noise.setState(rng)
        step = savedStep
        recipeChanges = history + accepted.map { "step \(savedStep): \($0)" }
        restoredPrecision = file.metadata["precision"]
        return accepted
    }

    /// Records in `recipeChanges` that the steps from the restored one on run in `precision`, not in the restored
    /// checkpoint's precision (a resume may change it: the saved tensors are float32 either way). Call it once the
    /// precision of the coming steps is set.
    /// - Returns: the change (`precision: bf16 in the checkpoint, float32 in this run`), or nil when there is none.
    @discardableResult
    public func recordPrecisionChange() -> String? {
        guard let change = precisionChange(to: precision) else { return nil }
        let line = "precision: \(change)"
        recipeChanges.append("step \(step): \(line)")
        restoredPrecision = precision.rawValue
        return line
    }

    /// How running in `precision` would differ from the restored checkpoint (`bf16 in the checkpoint, float32 in
    /// this run`), or nil when it would not (or nothing was restored).
    public func precisionChange(to precision: Precision) -> String? {
        guard let saved = restoredPrecision, saved != precision.rawValue else { return nil }
        return "\(saved) in the checkpoint, \(precision.rawValue) in this run"
    }

    /// A model holding the EMA weights, in evaluation mode (for sampling).
    public func emaModel() throws -> any DenoisingModule {
        let copy = try config.model.makeNetwork()
        try copy.to(device: device)
        try ema.copy(to: copy)
        copy.eval()
        return copy
    }
}
