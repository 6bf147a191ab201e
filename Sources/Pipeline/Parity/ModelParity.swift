import DiMR
import Diffusion
import Torch

/// One reference tensor compared with ours.
public struct ParityComparison: Sendable {
    /// The fixture key of the reference.
    public let key: String
    /// max |ours - reference| / max |reference|.
    public let error: Double

    /// Creates a comparison result.
    public init(key: String, error: Double) {
        self.key = key
        self.error = error
    }
}

/// A group of comparisons sharing one tolerance (outputs, targets, loss, gradients, samplers).
public struct ParityGroup: Sendable {
    /// What the group compares.
    public let name: String
    /// Largest acceptable relative error of each comparison.
    public let tolerance: Double
    /// The comparisons, in key order.
    public let comparisons: [ParityComparison]

    /// Creates a group.
    public init(name: String, tolerance: Double, comparisons: [ParityComparison]) {
        self.name = name
        self.tolerance = tolerance
        self.comparisons = comparisons
    }

    /// The comparison with the largest error.
    public var worst: ParityComparison? { comparisons.max { $0.error < $1.error } }

    /// Whether every comparison is within tolerance (NaN fails).
    public var passed: Bool { !comparisons.isEmpty && comparisons.allSatisfy { $0.error <= tolerance } }
}

/// Checks the DiMR network against a fixture of the authors' numbers: forward with per-sample and with
/// shared time, the multi-scale training loss (Diffusion's schedule and loss) and the gradient of its mean
/// for every parameter.
public enum ModelParity {
    /// Tolerance for outputs, targets, loss (and sampler results).
    public static let valueTolerance = 1e-5
    /// Tolerance for gradients.
    public static let gradientTolerance = 1e-4

    /// Relative error of `ours` against `reference`: max |ours - ref| / max |ref| (shapes must match), computed on the
    /// CPU wherever the two tensors are.
    public static func relativeError(_ ours: Tensor, _ reference: Tensor, key: String) throws -> ParityComparison {
        guard ours.shape == reference.shape else {
            throw DiMRError("\(key): our tensor has shape \(ours.shape), the reference \(reference.shape)")
        }
        let cpu = try ours.detach().to(device: .cpu)
        return ParityComparison(key: key, error: try cpu.relativeError(to: reference.to(device: .cpu)))
    }

    /// Runs the model groups of `fixture` (forward, shared-time forward, loss targets, loss, gradients).
    public static func run(_ fixture: ParityFixture) throws -> [ParityGroup] {
        let model = try fixture.makeModel()
        var groups: [ParityGroup] = []
        if let stated = fixture.file.metadata["parameters"] {
            guard let count = Int(stated) else { throw DiMRError("fixture \(fixture.path): metadata key parameters is not a number: \(stated)") }
            let ours = model.parameterCount
            groups.append(ParityGroup(name: "parameter count", tolerance: 0, comparisons: [
                ParityComparison(key: "parameters (ours \(ours), fixture \(count))", error: ours == count ? 0 : 1),
            ]))
        }
        let x = try fixture.tensor("input.x", dtype: .float32, rank: 4)
        let y = try fixture.tensor("input.y", dtype: .int64, rank: 1)
        groups.append(try forwardGroup(model, fixture, x: x, y: y, logSNRKey: "input.log_snr", outputPrefix: "output.",
                                       name: "outputs (per-sample time)"))
        groups.append(try forwardGroup(model, fixture, x: x, y: y, logSNRKey: "input.log_snr_same",
                                       outputPrefix: "output_same.", name: "outputs (shared time)"))
        groups += try lossGroups(model, fixture)
        return groups
    }

    private static func forwardGroup(_ model: DiMRModel, _ fixture: ParityFixture, x: Tensor, y: Tensor,
                                     logSNRKey: String, outputPrefix: String, name: String) throws -> ParityGroup {
        let logSNR = try fixture.tensor(logSNRKey, dtype: .float32, rank: 1)
        let outputs = try withNoGrad { try model.forward(x, logSNR: logSNR, classes: y) }
        let keys = fixture.names(withPrefix: outputPrefix)
        guard keys.count == outputs.count else {
            throw DiMRError("fixture \(fixture.path) has \(keys.count) \(outputPrefix)* tensors for \(outputs.count) stages")
        }
        let comparisons = try outputs.enumerated().map { i, out in
            try relativeError(out, fixture.tensor(outputPrefix + String(i)), key: outputPrefix + String(i))
        }
        return ParityGroup(name: name, tolerance: valueTolerance, comparisons: comparisons)
    }

    private static func lossGroups(_ model: DiMRModel, _ fixture: ParityFixture) throws -> [ParityGroup] {
        let coefficients = try fixture.lossCoefficients()
        let x0 = try fixture.tensor("loss.x0", dtype: .float32, rank: 4)
        let noise = try fixture.tensor("loss.noise", dtype: .float32, rank: 4)
        let timesteps = try fixture.tensor("loss.timesteps", dtype: .int64, rank: 1)
        let y = try fixture.tensor("loss.y", dtype: .int64, rank: 1)
        guard noise.shape == x0.shape else {
            throw DiMRError("fixture \(fixture.path): loss.noise has shape \(noise.shape), loss.x0 \(x0.shape)")
        }

        model.train()
        defer { model.eval() }
        try model.zeroGrad()
        let schedule = try NoiseSchedule.stableDiffusion()
        let xn = try schedule.qSample(x0: x0, noise: noise, timesteps: timesteps)               // (B, C, H, W)
        let logSNR = try NoiseSchedule.timeCondition(timesteps)                                  // (B)
        let predictions = try model.forward(xn, logSNR: logSNR, classes: y)
        let targets = try MultiScaleLoss.targets(noise: noise, levels: predictions.count)
        let perSample = try MultiScaleLoss.perSample(predictions: predictions, targets: targets, coefficients: coefficients)
        try perSample.mean().backward()

        let targetKeys = fixture.names(withPrefix: "loss.target.")
        guard !targetKeys.isEmpty else { throw DiMRError("fixture \(fixture.path) has no loss.target.* tensors") }
        let targetComparisons = try targetKeys.map { side -> ParityComparison in
            guard let size = Int(side), let ours = targets[size] else {
                throw DiMRError("fixture \(fixture.path) has loss.target.\(side) but the model makes no target of side \(side)")
            }
            return try relativeError(ours, fixture.tensor("loss.target." + side), key: "loss.target." + side)
        }
        let lossComparison = try relativeError(perSample, fixture.tensor("loss.per_sample", dtype: .float32, rank: 1),
                                               key: "loss.per_sample")

        var gradients: [ParityComparison] = []
        let referenceNames = Set(fixture.names(withPrefix: "grad."))
        for (name, parameter) in model.namedParameters() {
            let key = "grad." + name
            switch (parameter.grad, referenceNames.contains(name)) {
            case (let ours?, true): gradients.append(try relativeError(ours, fixture.tensor(key), key: key))
            case (nil, true):  // no gradient reached it: compare zeros with the reference
                let reference = try fixture.tensor(key)
                gradients.append(try relativeError(Tensor.zeros(reference.shape), reference, key: key))
            case (let ours?, false):  // the reference has none: ours must vanish
                gradients.append(ParityComparison(key: key + " (absent in fixture)", error: try ours.abs().max().item()))
            case (nil, false): break
            }
        }
        let known = Set(model.namedParameters().map(\.name))
        if let stray = referenceNames.subtracting(known).sorted().first {
            throw DiMRError("fixture \(fixture.path) has grad.\(stray) but the model has no parameter \(stray)")
        }
        try model.zeroGrad()
        return [
            ParityGroup(name: "loss targets", tolerance: valueTolerance, comparisons: targetComparisons),
            ParityGroup(name: "per-sample loss", tolerance: valueTolerance, comparisons: [lossComparison]),
            ParityGroup(name: "gradients", tolerance: gradientTolerance, comparisons: gradients),
        ]
    }
}
