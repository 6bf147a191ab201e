/// Finds the state dict inside the object a checkpoint pickled, and cleans its names.
enum StateDictSearch {
    /// Keys under which training scripts nest a state dict, tried in this order.
    static let wrapperKeys = ["state_dict", "model", "module", "model_state_dict", "net", "nnet", "ema", "model_ema"]

    /// Tensors named by the pickle and where they were found.
    struct Found {
        var tensors: [(String, PickleTensor)]
        var location: [String]
    }

    /// The state dict: the top-level dict when it holds tensors, else the first of the usual wrapper
    /// keys that holds a dict of tensors, else every tensor found anywhere, named by its dotted path.
    static func find(in root: PickleValue, what: String) throws -> Found {
        guard case .dict(let top) = root else {
            throw TorchError("\(what): the checkpoint holds a \(root.kind), not a dict of tensors")
        }
        var seen = Set<ObjectIdentifier>()
        if top.entries.contains(where: { if case .tensor = $0.value { true } else { false } }) {
            return Found(tensors: try flatten(top, prefix: "", depth: 0, seen: &seen, what: what), location: [])
        }
        for key in wrapperKeys {
            if case .dict(let inner)? = top[key],
               inner.entries.contains(where: { if case .tensor = $0.value { true } else { false } }) {
                return Found(tensors: try flatten(inner, prefix: "", depth: 0, seen: &seen, what: what), location: [key])
            }
        }
        let all = try flatten(top, prefix: "", depth: 0, seen: &seen, what: what)
        guard !all.isEmpty else { throw TorchError("\(what): the checkpoint holds no tensors") }
        return Found(tensors: all, location: [])
    }

    /// Every tensor below `dict`, named by string keys joined with dots; other values are skipped. A dict
    /// reached twice (a pickle can reference one from many places) is refused: a state dict is a tree.
    private static func flatten(_ dict: PickleDict, prefix: String, depth: Int, seen: inout Set<ObjectIdentifier>,
                                what: String) throws -> [(String, PickleTensor)] {
        guard depth < 16 else { throw TorchError("\(what): dicts nested more than 16 deep") }
        guard seen.insert(ObjectIdentifier(dict)).inserted else {
            throw TorchError("\(what): the same dict appears in several places; a state dict is a tree of dicts")
        }
        var out: [(String, PickleTensor)] = []
        for (key, value) in dict.entries {
            guard case .string(let name) = key else { continue }
            switch value {
            case .tensor(let tensor): out.append((prefix + name, tensor))
            case .dict(let inner): out += try flatten(inner, prefix: prefix + name + ".", depth: depth + 1, seen: &seen, what: what)
            default: continue
            }
        }
        return out
    }

    /// Removes `module.` and `_orig_mod.` from the start of names that all carry it, repeatedly.
    static func stripPrefixes(_ tensors: [(String, Tensor)]) -> ([(name: String, tensor: Tensor)], [String]) {
        var named = tensors
        var stripped: [String] = []
        var changed = true
        while changed && !named.isEmpty {
            changed = false
            for prefix in ["module.", "_orig_mod."] where named.allSatisfy({ $0.0.hasPrefix(prefix) }) {
                named = named.map { (String($0.0.dropFirst(prefix.count)), $0.1) }
                stripped.append(prefix)
                changed = true
            }
        }
        return (named.map { (name: $0.0, tensor: $0.1) }, stripped)
    }
}
