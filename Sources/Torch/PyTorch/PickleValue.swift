/// A value built by the restricted unpickler (`PickleMachine`).
///
/// Only what PyTorch state dicts contain: numbers, strings, bytes, containers, the storages named by
/// persistent ids and the tensors rebuilt from them. Lists and dicts are reference types because a
/// pickle may memoize one and fill it afterwards.
public indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A class or function named by GLOBAL / STACK_GLOBAL, already checked against the allowed set.
    case global(PickleGlobal)
    /// A storage named by a persistent id: `('storage', torch.FloatStorage, key, location, numel)`.
    case storage(PickleStorage)
    /// A tensor described by `torch._utils._rebuild_tensor_v2`.
    case tensor(PickleTensor)

    /// A short description for error messages.
    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let g): "\(g.module).\(g.name)"
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

/// A pickled list (mutable: APPEND may fill it after it was memoized).
public final class PickleList: @unchecked Sendable {
    public internal(set) var items: [PickleValue] = []
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A pickled dict or `collections.OrderedDict`, keeping insertion order.
public final class PickleDict: @unchecked Sendable {
    public internal(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    /// Positions in `entries` of the string and integer keys (other keys are never looked up).
    private var stringKeys: [String: Int] = [:]
    private var intKeys: [Int64: Int] = [:]
    init() {}

    /// Sets `key` to `value`, replacing an earlier entry with an equal string or integer key.
    func set(_ key: PickleValue, _ value: PickleValue) {
        switch key {
        case .string(let name):
            if let index = stringKeys[name] { entries[index].value = value; return }
            stringKeys[name] = entries.count
        case .int(let number):
            if let index = intKeys[number] { entries[index].value = value; return }
            intKeys[number] = entries.count
        default:
            break
        }
        entries.append((key, value))
    }

    /// The value for a string key.
    public subscript(key: String) -> PickleValue? {
        stringKeys[key].map { entries[$0].value }
    }
}

/// A global the unpickler allows: a container type, a tensor rebuild function or a storage type.
public struct PickleGlobal: Sendable, Equatable {
    public let module: String
    public let name: String
}

/// One storage of a `.pth` file: the `data/<key>` entry holding `count` elements of `dtype`.
public struct PickleStorage: Sendable, Equatable {
    public let key: String
    public let dtype: DType
    public let count: Int
}

/// A tensor as `torch._utils._rebuild_tensor_v2` describes it: a strided view of a storage.
public struct PickleTensor: Sendable, Equatable {
    public let storage: PickleStorage
    /// Offset into the storage, in elements.
    public let offset: Int
    public let shape: [Int]
    /// Strides in elements.
    public let strides: [Int]
}
