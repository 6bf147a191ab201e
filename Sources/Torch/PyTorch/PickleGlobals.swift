/// The globals a PyTorch state dict may name, and what calling them does.
///
/// The allowed set is that of `torch.load(weights_only=True)` restricted to what state dicts hold.
enum PickleGlobals {
    /// Storage classes and the element type each holds.
    static let storageTypes: [String: DType] = [
        "FloatStorage": .float32, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "DoubleStorage": .float64, "LongStorage": .int64, "IntStorage": .int32,
        "BoolStorage": .bool, "ByteStorage": .uint8,
    ]

    private static let functions: Set<String> = [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
    ]

    /// Checks a GLOBAL against the allowed set; anything else is refused by name.
    static func allow(module: String, name: String, what: String) throws -> PickleGlobal {
        let qualified = "\(module).\(name)"
        if functions.contains(qualified) || (module == "torch" && storageTypes[name] != nil) {
            return PickleGlobal(module: module, name: name)
        }
        if module == "torch", name.hasSuffix("Storage") {
            throw TorchError("\(what): \(qualified) tensors are not supported (storages of float32, float16, bfloat16, float64, int64, int32, bool and uint8 are)")
        }
        throw TorchError("\(what): refused to load: the pickle names \(qualified), which a checkpoint of tensors does not need"
                         + " (only tensors, numbers, strings and containers load, as with torch.load(weights_only=True))")
    }

    /// REDUCE: calls an allowed function with its arguments.
    static func call(_ callable: PickleGlobal, _ arguments: [PickleValue], what: String) throws -> PickleValue {
        func fail(_ why: String) -> TorchError { TorchError("\(what): \(callable.module).\(callable.name): \(why)") }
        switch "\(callable.module).\(callable.name)" {
        case "collections.OrderedDict":
            guard arguments.isEmpty else { throw fail("takes no arguments in a state dict, got \(arguments.count)") }
            return .dict(PickleDict())
        case "torch._utils._rebuild_tensor_v2":
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard arguments.count == 6 || arguments.count == 7 else { throw fail("expects 6 or 7 arguments, got \(arguments.count)") }
            guard case .storage(let storage) = arguments[0] else { throw fail("the first argument is a \(arguments[0].kind), not a storage") }
            guard case .int(let offset) = arguments[1] else { throw fail("the storage offset is a \(arguments[1].kind), not an int") }
            let shape = try integers(arguments[2], "size", fail)
            let strides = try integers(arguments[3], "stride", fail)
            guard shape.count == strides.count else { throw fail("size \(shape) and stride \(strides) differ in length") }
            guard let start = Int(exactly: offset) else { throw fail("storage offset \(offset) is out of range") }
            return .tensor(try TensorView.check(PickleTensor(storage: storage, offset: start, shape: shape, strides: strides),
                                                 what: what))
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            // (data, requires_grad, backward_hooks[, state]): the parameter is its data here.
            guard let data = arguments.first, case .tensor = data else {
                throw fail("expects a tensor as its first argument")
            }
            return data
        default:
            throw TorchError("\(what): refused to load: the pickle calls \(callable.module).\(callable.name)"
                             + " (only the tensor rebuild functions and OrderedDict may be called)")
        }
    }

    /// BUILD: sets the state of the value on the stack. Dicts take attribute dicts (a state dict's
    /// `_metadata`), which are dropped; nothing else may be built.
    static func build(_ target: PickleValue, state: PickleValue, what: String) throws {
        switch (target, state) {
        case (.dict, .dict), (.dict, .none):
            return
        case (.dict, .tuple(let parts)) where parts.allSatisfy({ if case .dict = $0 { true } else if case .none = $0 { true } else { false } }):
            return
        default:
            throw TorchError("\(what): refused to load: BUILD sets the state of a \(target.kind) (only dict attributes are allowed)")
        }
    }

    /// BINPERSID: the storage `('storage', torch.<Type>Storage, key, location, numel)`.
    static func storage(persistentID: PickleValue, what: String) throws -> PickleStorage {
        func fail(_ why: String) -> TorchError { TorchError("\(what): malformed storage reference: \(why)") }
        guard case .tuple(let parts) = persistentID, parts.count == 5 else {
            throw fail("expected a 5-tuple ('storage', type, key, location, numel), got a \(persistentID.kind)")
        }
        guard case .string("storage") = parts[0] else { throw fail("the first field is not 'storage'") }
        guard case .global(let type) = parts[1], type.module == "torch", let dtype = storageTypes[type.name] else {
            throw fail("the storage type is a \(parts[1].kind)")
        }
        guard case .string(let key) = parts[2], !key.isEmpty, key.count <= 64,
              key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw fail("the storage key is not a short name of letters and digits")
        }
        guard case .int(let count) = parts[4], count >= 0, let elements = Int(exactly: count) else {
            throw fail("the element count is not a non-negative int")
        }
        return PickleStorage(key: key, dtype: dtype, count: elements)
    }

    private static func integers(_ value: PickleValue, _ name: String, _ fail: (String) -> TorchError) throws -> [Int] {
        let items: [PickleValue]
        switch value {
        case .tuple(let parts): items = parts
        case .list(let list): items = list.items
        default: throw fail("\(name) is a \(value.kind), not a tuple of ints")
        }
        guard items.count <= 64 else { throw fail("\(name) has \(items.count) dimensions") }
        return try items.map {
            guard case .int(let n) = $0, let v = Int(exactly: n) else { throw fail("\(name) holds a \($0.kind), not an int") }
            return v
        }
    }
}
