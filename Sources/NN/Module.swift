import Torch

/// A trainable tensor registered in a module under a state-dict name.
///
/// The slot is a class so that loading weights or moving a model to a device updates every
/// layer that holds it.
public final class Parameter: @unchecked Sendable {
    /// The current value (a leaf tensor that records gradients).
    public internal(set) var tensor: Tensor

    /// Wraps `tensor` as a parameter; it is made a leaf that requires gradients.
    public init(_ tensor: Tensor) throws {
        self.tensor = tensor.isLeaf ? tensor : try tensor.detach()
        try self.tensor.requiresGrad(true)
    }

    /// The accumulated gradient, if any.
    public var grad: Tensor? { tensor.grad }

    /// Replaces the value (keeping gradient recording on).
    public func assign(_ value: Tensor) throws {
        tensor = try value.detach()
        try tensor.requiresGrad(true)
    }
}

/// Base class of network layers: named parameters, buffers and children in registration order,
/// with PyTorch's state-dict naming (`stages.0.blocks.3.block1.norm.scale.param0`).
///
/// Subclasses register what they own in `init`, where the checkpoint key is visible:
/// `w0 = try register("w0", Linear(dim, hidden))`.
open class Module: @unchecked Sendable {
    private var parameterSlots: [(name: String, parameter: Parameter)] = []
    private var bufferSlots: [(name: String, tensor: Tensor)] = []
    private var childSlots: [(name: String, module: Module)] = []

    /// Whether the module is in training mode (dropout active); see `train(_:)`.
    public private(set) var isTraining = true

    /// Creates an empty module.
    public init() {}

    /// Registers a parameter under `name` and returns it.
    @discardableResult
    public func register(_ name: String, parameter: Parameter) -> Parameter {
        precondition(!name.isEmpty && !name.contains("."), "parameter name \"\(name)\" must be non-empty and dot-free")
        precondition(!hasSlot(name), "\(type(of: self)) already has a member named \(name)")
        parameterSlots.append((name, parameter))
        return parameter
    }

    /// Registers a tensor as a new parameter under `name`.
    @discardableResult
    public func register(_ name: String, tensor: Tensor) throws -> Parameter {
        register(name, parameter: try Parameter(tensor))
    }

    /// Registers a non-trainable state tensor (saved in the state dict) under `name`.
    @discardableResult
    public func register(_ name: String, buffer: Tensor) -> Tensor {
        precondition(!hasSlot(name), "\(type(of: self)) already has a member named \(name)")
        bufferSlots.append((name, buffer))
        return buffer
    }

    /// Registers a child module under `name` and returns it.
    @discardableResult
    public func register<M: Module>(_ name: String, _ module: M) -> M {
        precondition(!name.isEmpty && !name.contains("."), "module name \"\(name)\" must be non-empty and dot-free")
        precondition(!hasSlot(name), "\(type(of: self)) already has a member named \(name)")
        childSlots.append((name, module))
        return module
    }

    private func hasSlot(_ name: String) -> Bool {
        parameterSlots.contains { $0.name == name } || childSlots.contains { $0.name == name }
            || bufferSlots.contains { $0.name == name }
    }

    /// Direct children in registration order.
    public var children: [(name: String, module: Module)] { childSlots }

    /// Every parameter with its full dotted name, depth first in registration order.
    public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        var out = parameterSlots.map { (prefix + $0.name, $0.parameter) }
        for child in childSlots { out += child.module.namedParameters(prefix: prefix + child.name + ".") }
        return out
    }

    /// Every buffer with its full dotted name.
    public func namedBuffers(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var out = bufferSlots.map { (prefix + $0.name, $0.tensor) }
        for child in childSlots { out += child.module.namedBuffers(prefix: prefix + child.name + ".") }
        return out
    }

    /// Every module in the tree (self first) with its dotted path.
    public func namedModules(prefix: String = "") -> [(name: String, module: Module)] {
        var out: [(String, Module)] = [(prefix, self)]
        for child in childSlots {
            let path = prefix.isEmpty ? child.name : prefix + "." + child.name
            out += child.module.namedModules(prefix: path)
        }
        return out
    }

    /// Every parameter.
    public var parameters: [Parameter] { namedParameters().map(\.parameter) }

    /// Total number of parameter elements.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.tensor.count } }

    /// Sets training (`true`) or evaluation (`false`) mode on the whole tree.
    public func train(_ on: Bool = true) {
        isTraining = on
        for child in childSlots { child.module.train(on) }
    }

    /// Evaluation mode: `train(false)`.
    public func eval() { train(false) }

    /// Clears every parameter's gradient.
    public func zeroGrad() throws {
        for p in parameters { try p.tensor.setGrad(nil) }
    }

    /// Parameters and buffers by full name (the tensors themselves, not copies).
    public func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, p) in namedParameters() { out[name] = p.tensor }
        for (name, b) in namedBuffers() { out[name] = b }
        return out
    }

    /// Copies values from `state` into the parameters and buffers, converting dtype and device.
    ///
    /// With `strict` (the default) every key must match: missing, unexpected and wrongly shaped
    /// keys are all reported by name in one error, and nothing is changed. With `assign`, parameters
    /// and buffers take the given tensors themselves (converted to their dtype and device, made
    /// contiguous) instead of copies, as `load_state_dict(assign=True)`: loading a large checkpoint
    /// into a model built under `Init.skipping` then holds the weights once, not twice.
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true, assign: Bool = false) throws {
        var targets: [String: Tensor] = [:]
        for (name, p) in namedParameters() { targets[name] = p.tensor }
        for (name, b) in namedBuffers() { targets[name] = b }
        let missing = targets.keys.filter { state[$0] == nil }.sorted()
        let unexpected = state.keys.filter { targets[$0] == nil }.sorted()
        var wrongShape: [String] = []
        for (name, target) in targets {
            if let source = state[name], source.shape != target.shape {
                wrongShape.append("\(name): checkpoint \(source.shape), model \(target.shape)")
            }
        }
        wrongShape.sort()
        var problems: [String] = []
        if strict && !missing.isEmpty { problems.append("missing keys: \(missing.joined(separator: ", "))") }
        if strict && !unexpected.isEmpty { problems.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
        if !wrongShape.isEmpty { problems.append("wrong shapes: \(wrongShape.joined(separator: "; "))") }
        if !problems.isEmpty { throw TorchError("state dict does not fit \(type(of: self)): " + problems.joined(separator: "; ")) }
        if assign {
            for (prefix, module) in namedModules() { try module.assignOwn(state, prefix: prefix.isEmpty ? "" : prefix + ".") }
            return
        }
        try withNoGrad {
            for (name, target) in targets {
                if let source = state[name] { try target.copy_(source) }
            }
        }
    }

    /// Replaces this module's own parameters and buffers by the tensors of `state` named `prefix + name`.
    private func assignOwn(_ state: [String: Tensor], prefix: String) throws {
        func converted(_ source: Tensor, like target: Tensor) throws -> Tensor {
            try source.to(target.dtype, device: target.device).contiguous()
        }
        for slot in parameterSlots {
            if let source = state[prefix + slot.name] { try slot.parameter.assign(converted(source, like: slot.parameter.tensor)) }
        }
        for i in bufferSlots.indices {
            if let source = state[prefix + bufferSlots[i].name] { bufferSlots[i].tensor = try converted(source, like: bufferSlots[i].tensor) }
        }
    }

    /// Moves (or converts) every parameter and buffer; floating-point tensors take `dtype` when given.
    public func to(device: Device? = nil, dtype: DType? = nil) throws {
        for i in parameterSlots.indices {
            let t = parameterSlots[i].parameter.tensor
            let target = t.dtype.isFloatingPoint ? (dtype ?? t.dtype) : t.dtype
            try parameterSlots[i].parameter.assign(t.to(target, device: device ?? t.device))
        }
        for i in bufferSlots.indices {
            let t = bufferSlots[i].tensor
            let target = t.dtype.isFloatingPoint ? (dtype ?? t.dtype) : t.dtype
            bufferSlots[i].tensor = try t.to(target, device: device ?? t.device)
        }
        for child in childSlots { try child.module.to(device: device, dtype: dtype) }
    }
}

/// A list of modules registered as `0`, `1`, ... like `nn.ModuleList`.
public final class ModuleList<Element: Module>: Module, @unchecked Sendable {
    /// The modules in order.
    public private(set) var items: [Element] = []

    /// Registers `modules` under their indices.
    public init(_ modules: [Element]) {
        super.init()
        for m in modules { append(m) }
    }

    /// Appends a module under the next index.
    public func append(_ module: Element) {
        register(String(items.count), module)
        items.append(module)
    }

    /// Number of modules.
    public var count: Int { items.count }

    /// The module at `index`.
    public subscript(index: Int) -> Element { items[index] }
}
