import Torch

/// Per-parameter AdamW state, as in PyTorch's `optimizer.state[p]`.
public struct AdamWState: @unchecked Sendable {
    /// First-moment running average (same shape, dtype and device as the parameter).
    public var expAvg: Tensor
    /// Second-moment running average.
    public var expAvgSq: Tensor
    /// Number of updates this parameter has received.
    public var step: Int
}

/// Adam with decoupled weight decay, with `torch.optim.AdamW`'s update operation by operation
/// (single-tensor path: decay, moment updates, bias-corrected step).
///
/// Parameters are known by their state-dict names, which also key the state export, so a checkpoint
/// can hold `optimizer.<name>.exp_avg`, `optimizer.<name>.exp_avg_sq` and `optimizer.<name>.step`.
/// Like PyTorch, a parameter without a gradient is skipped (its step count does not advance).
public final class AdamW: @unchecked Sendable {
    /// The parameter groups.
    public let groups: [ParameterGroup]
    /// Learning rate of the next `step()`; set it before each step to follow a schedule.
    public var learningRate: Double
    /// Decay rates of the first and second moments.
    public let betas: (Double, Double)
    /// Added to the denominator for stability.
    public let eps: Double
    /// Weight decay of groups that do not set their own.
    public let weightDecay: Double
    /// State by parameter name; created on a parameter's first update.
    public private(set) var state: [String: AdamWState] = [:]
    private let parametersByName: [String: Parameter]

    /// An optimizer over `groups`; parameter names must be unique across groups.
    public init(groups: [ParameterGroup], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 1e-2) throws {
        guard learningRate >= 0 else { throw TorchError("AdamW: invalid learning rate \(learningRate)") }
        guard eps >= 0 else { throw TorchError("AdamW: invalid eps \(eps)") }
        guard (0..<1).contains(betas.0), (0..<1).contains(betas.1) else {
            throw TorchError("AdamW: betas must lie in [0, 1), got \(betas)")
        }
        for decay in [weightDecay] + groups.compactMap(\.weightDecay) where decay < 0 {
            throw TorchError("AdamW: invalid weight decay \(decay)")
        }
        var byName: [String: Parameter] = [:]
        for group in groups {
            for (name, parameter) in group.parameters {
                guard byName[name] == nil else { throw TorchError("AdamW: parameter \(name) appears more than once") }
                guard !byName.values.contains(where: { $0 === parameter }) else {
                    throw TorchError("AdamW: parameter \(name) is also registered under another name")
                }
                byName[name] = parameter
            }
        }
        self.groups = groups
        self.learningRate = learningRate
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        parametersByName = byName
    }

    /// An optimizer with a single group holding `parameters` (e.g. `model.namedParameters()`).
    public convenience init(_ parameters: [(name: String, parameter: Parameter)], learningRate: Double = 1e-3,
                            betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 1e-2) throws {
        try self.init(groups: [ParameterGroup(parameters)], learningRate: learningRate, betas: betas, eps: eps,
                      weightDecay: weightDecay)
    }

    /// Updates every parameter that has a gradient, with the current `learningRate`.
    public func step() throws {
        for group in groups {
            let decay = group.weightDecay ?? weightDecay
            for (name, parameter) in group.parameters {
                guard let grad = parameter.grad else { continue }
                let p = parameter.tensor
                var s = try state[name] ?? AdamWState(
                    expAvg: Tensor.zeros(p.shape, dtype: p.dtype, device: p.device),
                    expAvgSq: Tensor.zeros(p.shape, dtype: p.dtype, device: p.device), step: 0)
                s.step += 1
                try Tensor.adamwStep(parameter: p, gradient: grad, expAvg: s.expAvg, expAvgSq: s.expAvgSq,
                                     learningRate: learningRate, beta1: betas.0, beta2: betas.1, eps: eps,
                                     weightDecay: decay, step: s.step)
                state[name] = s
            }
        }
    }

    /// Clears the gradients of all parameters (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad() throws {
        for group in groups {
            for (_, parameter) in group.parameters { try parameter.tensor.setGrad(nil) }
        }
    }

    /// The state as named tensors: `<prefix><name>.exp_avg`, `.exp_avg_sq` and `.step` (an int64 scalar)
    /// for every parameter updated so far. The moment tensors are the live ones, not copies.
    public func stateDict(prefix: String = "optimizer.") throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, s) in state {
            out[prefix + name + ".exp_avg"] = s.expAvg
            out[prefix + name + ".exp_avg_sq"] = s.expAvgSq
            out[prefix + name + ".step"] = try Tensor([Int64(s.step)], shape: [])
        }
        return out
    }

    /// Replaces the state with the entries of `tensors` under `prefix` (other keys are ignored),
    /// copied to each parameter's dtype and device.
    ///
    /// Keys under `prefix` that name no parameter or field, parameters with only some of the three
    /// entries, wrong shapes and invalid step counts are all reported by name in one error, and then
    /// nothing changes. Parameters without entries start fresh (they had no update yet).
    public func loadStateDict(_ tensors: [String: Tensor], prefix: String = "optimizer.") throws {
        let fields = [".exp_avg_sq", ".exp_avg", ".step"]
        var found: [String: [String: Tensor]] = [:]
        var problems: [String] = []
        for (key, tensor) in tensors where key.hasPrefix(prefix) {
            let rest = String(key.dropFirst(prefix.count))
            guard let field = fields.first(where: { rest.hasSuffix($0) }),
                  parametersByName[String(rest.dropLast(field.count))] != nil
            else { problems.append("unexpected key \(key)"); continue }
            found[String(rest.dropLast(field.count)), default: [:]][field] = tensor
        }
        var loaded: [String: AdamWState] = [:]
        for (name, entries) in found.sorted(by: { $0.key < $1.key }) {
            guard let parameter = parametersByName[name] else { continue }
            guard let m = entries[".exp_avg"], let v = entries[".exp_avg_sq"], let stepTensor = entries[".step"] else {
                let missing = fields.filter { entries[$0] == nil }.map { prefix + name + $0 }
                problems.append("incomplete state of \(name): missing \(missing.joined(separator: ", "))")
                continue
            }
            let p = parameter.tensor
            var ok = true
            for (field, t) in [(".exp_avg", m), (".exp_avg_sq", v)] where t.shape != p.shape {
                problems.append("wrong shape of \(prefix + name + field): checkpoint \(t.shape), parameter \(p.shape)")
                ok = false
            }
            let step = stepTensor.count == 1 && !stepTensor.dtype.isFloatingPoint ? try stepTensor.itemInt() : -1
            if step < 1 {
                problems.append("invalid \(prefix + name).step: expected one positive integer, got \(stepTensor)")
                ok = false
            }
            guard ok else { continue }
            loaded[name] = AdamWState(expAvg: try m.to(p.dtype, device: p.device, copy: true),
                                      expAvgSq: try v.to(p.dtype, device: p.device, copy: true), step: step)
        }
        guard problems.isEmpty else {
            throw TorchError("optimizer state does not fit: " + problems.sorted().joined(separator: "; "))
        }
        state = loaded
    }
}
