import Torch

/// An exponential moving average of a model's parameters (buffers are not averaged), as the
/// DiMR authors keep for sampling: it starts as a copy of the parameters, and each `update(from:)`
/// computes `ema = ema * decay + (1 - decay) * param` in that order of operations.
public final class ExponentialMovingAverage: @unchecked Sendable {
    /// How the decay rate is chosen at each update.
    public enum Decay: Sendable, Equatable {
        /// The same rate every update (the authors use 0.9999).
        case fixed(Double)
        /// `min(rate, (1 + n) / (10 + n))` where n counts earlier updates, so early averages forget faster.
        case warmup(Double)
    }

    /// The decay rule.
    public let decay: Decay
    /// Number of updates applied so far (restore it with the averages when resuming).
    public var updateCount: Int
    private let names: [String]
    private var averages: [String: Tensor]

    /// An average initialised to a detached copy of `model`'s parameters.
    public init(of model: Module, decay: Decay = .fixed(0.9999)) throws {
        let rate: Double
        switch decay { case .fixed(let r), .warmup(let r): rate = r }
        guard (0...1).contains(rate) else { throw TorchError("EMA decay must be in [0, 1], got \(rate)") }
        self.decay = decay
        updateCount = 0
        let named = model.namedParameters()
        names = named.map(\.name)
        averages = [:]
        for (name, parameter) in named { averages[name] = try parameter.tensor.detach().clone() }
    }

    /// The decay rate the next update uses.
    public var currentDecay: Double {
        switch decay {
        case .fixed(let rate): return rate
        case .warmup(let rate): return min(rate, Double(1 + updateCount) / Double(10 + updateCount))
        }
    }

    /// Moves the averages towards `model`'s current parameters, which must have the same names and shapes.
    public func update(from model: Module) throws {
        let sources = try matchedParameters(of: model)
        let rate = currentDecay
        try withNoGrad {
            for (name, parameter) in sources {
                guard let average = averages[name] else { continue }
                try average.mul_(rate)
                try average.add_(parameter.tensor * (1 - rate))
            }
        }
        updateCount += 1
    }

    /// Copies the averages into `model`'s parameters (e.g. an evaluation copy of the network).
    public func copy(to model: Module) throws {
        let targets = try matchedParameters(of: model)
        for (name, parameter) in targets {
            guard let average = averages[name] else { continue }
            try parameter.tensor.copy_(average)
        }
    }

    /// The averages by parameter name, as `<prefix><name>` (the live tensors, not copies).
    public func stateDict(prefix: String = "") -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, average) in averages { out[prefix + name] = average }
        return out
    }

    /// Replaces the averages with the entries of `tensors` under `prefix`, copied to each average's
    /// dtype and device; every parameter must be present with its shape and no other key may sit
    /// under the prefix, else the error names each problem and nothing changes.
    public func loadStateDict(_ tensors: [String: Tensor], prefix: String = "", updateCount: Int? = nil) throws {
        var problems: [String] = []
        let missing = names.filter { tensors[prefix + $0] == nil }
        if !missing.isEmpty { problems.append("missing keys: " + missing.map { prefix + $0 }.joined(separator: ", ")) }
        let unexpected = tensors.keys.filter { $0.hasPrefix(prefix) && averages[String($0.dropFirst(prefix.count))] == nil }
        if !unexpected.isEmpty { problems.append("unexpected keys: " + unexpected.sorted().joined(separator: ", ")) }
        for name in names {
            if let source = tensors[prefix + name], let target = averages[name], source.shape != target.shape {
                problems.append("wrong shape of \(prefix + name): checkpoint \(source.shape), model \(target.shape)")
            }
        }
        guard problems.isEmpty else { throw TorchError("EMA state does not fit: " + problems.joined(separator: "; ")) }
        var loaded: [String: Tensor] = [:]
        for name in names {
            guard let source = tensors[prefix + name], let target = averages[name] else { continue }
            loaded[name] = try source.to(target.dtype, device: target.device, copy: true)
        }
        averages = loaded
        if let updateCount { self.updateCount = updateCount }
    }

    /// `model`'s parameters by name, after checking they match the averaged ones.
    private func matchedParameters(of model: Module) throws -> [(name: String, parameter: Parameter)] {
        let named = model.namedParameters()
        var problems: [String] = []
        let given = Set(named.map(\.name))
        let missing = names.filter { !given.contains($0) }
        if !missing.isEmpty { problems.append("model lacks \(missing.joined(separator: ", "))") }
        let extra = named.map(\.name).filter { averages[$0] == nil }
        if !extra.isEmpty { problems.append("model has unaveraged \(extra.joined(separator: ", "))") }
        for (name, parameter) in named {
            if let average = averages[name], average.shape != parameter.tensor.shape {
                problems.append("\(name): average \(average.shape), model \(parameter.tensor.shape)")
            }
        }
        guard problems.isEmpty else { throw TorchError("EMA does not match the model: " + problems.joined(separator: "; ")) }
        return named
    }
}
