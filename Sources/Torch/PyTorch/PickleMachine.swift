/// A restricted unpickler for the `data.pkl` of PyTorch checkpoints.
///
/// It runs the pickle opcodes that `torch.save` writes (protocol 2, and the framing and short forms
/// of protocols 3-5) and allows the few globals a state dict needs, as `torch.load(weights_only=True)`
/// does: `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`,
/// `_rebuild_parameter_with_state` and the typed storage classes. Any other global (`os.system`,
/// `builtins.eval`, ...) is refused by name when the pickle names it, before anything is called, and
/// REDUCE, NEWOBJ and BUILD only act on the allowed ones. Nothing is sized from the input before the
/// input proves it: lengths are checked against the bytes left, and the stack, memo and containers
/// grow with the input only.
struct PickleMachine {
    /// The pickle bytes.
    private let bytes: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    /// How deeply each stack value nests containers (0 for a number or string); with `containerDepth`
    /// for lists and dicts that grow after they were made. Nesting is capped at `maxDepth`: freeing a
    /// value recurses through its nesting, so a hostile pickle of 30,000 nested lists would overflow the
    /// thread's stack.
    private var depths: [Int] = []
    private var containerDepth: [ObjectIdentifier: Int] = [:]
    private var memoDepth: [UInt32: Int] = [:]
    /// The deepest nesting allowed (a state dict nests a handful of levels).
    static let maxDepth = 1000
    /// Start indices of the stack's MARK frames.
    private var marks: [Int] = []
    private var memo: [UInt32: PickleValue] = [:]
    /// Names the error messages use for the input.
    private let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    /// Runs the pickle to its STOP and returns the value it leaves.
    static func load(_ bytes: [UInt8], what: String = "pickle") throws -> PickleValue {
        var machine = PickleMachine(bytes, what: what)
        return try machine.run()
    }

    private func fail(_ why: String) -> TorchError { TorchError("\(what): \(why)") }

    private mutating func run() throws -> PickleValue {
        while true {
            let opcodeAt = position
            let op = try readByte()
            switch op {
            case 0x80: _ = try readByte()                              // PROTO
            case 0x95: _ = try readBytes(8)                            // FRAME (length; frames are not needed)
            case 0x2E:                                                 // STOP
                guard marks.isEmpty, stack.count == 1, let result = stack.last else {
                    throw fail("malformed pickle: STOP with \(stack.count) values on the stack")
                }
                return result
            case 0x28: marks.append(stack.count)                       // MARK
            case 0x7D: push(.dict(PickleDict()), depth: 1)     // EMPTY_DICT
            case 0x5D: push(.list(PickleList()), depth: 1)     // EMPTY_LIST
            case 0x29: push(.tuple([]), depth: 1)              // EMPTY_TUPLE
            case 0x4E: push(.none)                             // NONE
            case 0x88: push(.bool(true))                       // NEWTRUE
            case 0x89: push(.bool(false))                      // NEWFALSE
            case 0x4A: push(.int(Int64(Int32(bitPattern: try readUInt(4)))))   // BININT
            case 0x4B: push(.int(Int64(try readUInt(1))))      // BININT1
            case 0x4D: push(.int(Int64(try readUInt(2))))      // BININT2
            case 0x8A: push(.int(try readLong(length: Int(try readUInt(1)))))   // LONG1
            case 0x8B: push(.int(try readLong(length: Int(try readUInt(4)))))   // LONG4
            case 0x47: push(.float(Double(bitPattern: try readBigEndian64())))  // BINFLOAT
            case 0x58: push(.string(try readText(Int(try readUInt(4)))))       // BINUNICODE
            case 0x8C: push(.string(try readText(Int(try readUInt(1)))))       // SHORT_BINUNICODE
            case 0x8D: push(.string(try readText(try readLength8())))          // BINUNICODE8
            case 0x54: push(.string(try readLatin1(Int(try readUInt(4)))))     // BINSTRING
            case 0x55: push(.string(try readLatin1(Int(try readUInt(1)))))     // SHORT_BINSTRING
            case 0x42: push(.bytes(try readBytes(Int(try readUInt(4)))))      // BINBYTES
            case 0x43: push(.bytes(try readBytes(Int(try readUInt(1)))))      // SHORT_BINBYTES
            case 0x8E: push(.bytes(try readBytes(try readLength8())))          // BINBYTES8
            case 0x74: poppedDepth = 0; try pushBuilt(.tuple(try popMark()))             // TUPLE
            case 0x85: poppedDepth = 0; try pushBuilt(.tuple(try pop(1)))                // TUPLE1
            case 0x86: poppedDepth = 0; try pushBuilt(.tuple(try pop(2)))                // TUPLE2
            case 0x87: poppedDepth = 0; try pushBuilt(.tuple(try pop(3)))                // TUPLE3
            case 0x6C: poppedDepth = 0; try pushBuilt(.list(PickleList(try popMark())))  // LIST
            case 0x64:                                                                   // DICT
                poppedDepth = 0
                let dict = PickleDict()
                try setItems(dict, try popMark())
                try pushBuilt(.dict(dict))
            case 0x61:                                                 // APPEND
                poppedDepth = 0
                let item = try pop(1)
                try topList().items.append(contentsOf: item)
                try grewTop()
            case 0x65:                                                 // APPENDS
                poppedDepth = 0
                let items = try popMark()
                try topList().items.append(contentsOf: items)
                try grewTop()
            case 0x73:                                                 // SETITEM
                poppedDepth = 0
                let pair = try pop(2)
                try setItems(try topDict(), pair)
                try grewTop()
            case 0x75:                                                 // SETITEMS
                poppedDepth = 0
                let items = try popMark()
                try setItems(try topDict(), items)
                try grewTop()
            case 0x71: try memoize(UInt32(try readUInt(1)))            // BINPUT
            case 0x72: try memoize(try readUInt(4))                    // LONG_BINPUT
            case 0x94: try memoize(UInt32(truncatingIfNeeded: memo.count))  // MEMOIZE
            case 0x68: try pushRecalled(UInt32(try readUInt(1)))    // BINGET
            case 0x6A: try pushRecalled(try readUInt(4))            // LONG_BINGET
            case 0x63:                                                 // GLOBAL "module\nname\n"
                let module = try readLine(), name = try readLine()
                push(.global(try PickleGlobals.allow(module: module, name: name, what: what)))
            case 0x93:                                                 // STACK_GLOBAL
                let pair = try pop(2)
                guard case .string(let module) = pair[0], case .string(let name) = pair[1] else {
                    throw fail("malformed pickle: STACK_GLOBAL needs two strings, got \(pair[0].kind) and \(pair[1].kind)")
                }
                push(.global(try PickleGlobals.allow(module: module, name: name, what: what)))
            case 0x52:                                                 // REDUCE
                let pair = try pop(2)
                guard case .global(let callable) = pair[0], case .tuple(let arguments) = pair[1] else {
                    throw fail("refused: REDUCE on \(pair[0].kind) (only the allowed rebuild functions may be called)")
                }
                push(try PickleGlobals.call(callable, arguments, what: what), depth: 1)
            case 0x62:                                                 // BUILD
                let state = try pop(1)[0]
                guard let target = stack.last else { throw fail("malformed pickle: BUILD on an empty stack") }
                try PickleGlobals.build(target, state: state, what: what)
            case 0x51:                                                 // BINPERSID
                let pid = try pop(1)[0]
                push(.storage(try PickleGlobals.storage(persistentID: pid, what: what)))
            case 0x81, 0x92:                                           // NEWOBJ, NEWOBJ_EX
                throw fail("refused: the pickle creates an object with NEWOBJ at byte \(opcodeAt) (only tensors and containers load)")
            default:
                throw fail("unsupported pickle opcode 0x\(String(op, radix: 16)) at byte \(opcodeAt)"
                           + " (only the opcodes torch.save writes are read)")
            }
        }
    }

    // MARK: - stack

    private mutating func push(_ value: PickleValue, depth: Int = 0) {
        stack.append(value)
        depths.append(depth)
    }

    /// Pushes a container built from the values popped since `poppedDepth` was reset, one level deeper
    /// than the deepest of them.
    private mutating func pushBuilt(_ value: PickleValue) throws {
        push(value, depth: try checked(poppedDepth + 1))
        if let id = Self.identity(value) { containerDepth[id] = depths[depths.count - 1] }
    }

    /// After APPEND or SETITEM: the container on top may now nest deeper.
    private mutating func grewTop() throws {
        guard let top = stack.last else { return }
        let depth = try checked(max(depths[depths.count - 1], poppedDepth + 1))
        depths[depths.count - 1] = depth
        if let id = Self.identity(top) { containerDepth[id] = depth }
    }

    private func checked(_ depth: Int) throws -> Int {
        guard depth <= Self.maxDepth else { throw fail("refused: containers nested more than \(Self.maxDepth) deep") }
        return depth
    }

    private static func identity(_ value: PickleValue) -> ObjectIdentifier? {
        switch value {
        case .list(let list): ObjectIdentifier(list)
        case .dict(let dict): ObjectIdentifier(dict)
        default: nil
        }
    }

    /// The deepest nesting among the values popped since the last reset.
    private var poppedDepth = 0

    private mutating func pop(_ count: Int) throws -> [PickleValue] {
        let floor = marks.last ?? 0
        guard stack.count - floor >= count else { throw fail("malformed pickle: stack underflow") }
        let values = Array(stack.suffix(count))
        poppedDepth = max(poppedDepth, depths.suffix(count).max() ?? 0)
        stack.removeLast(count)
        depths.removeLast(count)
        return values
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let start = marks.popLast() else { throw fail("malformed pickle: no MARK for a container") }
        let values = Array(stack[start...])
        poppedDepth = max(poppedDepth, depths[start...].max() ?? 0)
        stack.removeSubrange(start...)
        depths.removeSubrange(start...)
        return values
    }

    private func topList() throws -> PickleList {
        guard let value = stack.last else { throw fail("malformed pickle: APPEND with no list") }
        guard case .list(let list) = value else { throw fail("malformed pickle: APPEND to a \(value.kind)") }
        return list
    }

    private func topDict() throws -> PickleDict {
        guard let value = stack.last else { throw fail("malformed pickle: SETITEM with no dict") }
        guard case .dict(let dict) = value else { throw fail("malformed pickle: SETITEM on a \(value.kind)") }
        return dict
    }

    private func setItems(_ dict: PickleDict, _ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw fail("malformed pickle: odd number of dict items") }
        for pair in stride(from: 0, to: items.count, by: 2) { dict.set(items[pair], items[pair + 1]) }
    }

    private mutating func memoize(_ key: UInt32) throws {
        guard let top = stack.last else { throw fail("malformed pickle: PUT on an empty stack") }
        memo[key] = top
        memoDepth[key] = depths[depths.count - 1]
    }

    /// Pushes memo `key` with its nesting (a list's or dict's as it is now, since it may have grown).
    private mutating func pushRecalled(_ key: UInt32) throws {
        let value = try recall(key)
        push(value, depth: Self.identity(value).flatMap { containerDepth[$0] } ?? memoDepth[key] ?? 0)
    }

    private func recall(_ key: UInt32) throws -> PickleValue {
        guard let value = memo[key] else { throw fail("malformed pickle: GET of memo \(key), which was never PUT") }
        return value
    }

    // MARK: - reading

    private mutating func readByte() throws -> UInt8 {
        guard position < bytes.count else { throw fail("truncated pickle: it ends at byte \(bytes.count) before STOP") }
        defer { position += 1 }
        return bytes[position]
    }

    /// `count` bytes, after checking that they are there.
    private mutating func readBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else {
            throw fail("truncated pickle: \(count) bytes needed at byte \(position), \(bytes.count - position) left")
        }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    /// A little-endian unsigned integer of `width` bytes (1, 2 or 4).
    private mutating func readUInt(_ width: Int) throws -> UInt32 {
        try readBytes(width).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// An 8-byte little-endian length, which must fit in what is left of the input.
    private mutating func readLength8() throws -> Int {
        let raw = try readBytes(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard raw <= UInt64(bytes.count - position) else {
            throw fail("truncated pickle: a length of \(raw) bytes at byte \(position - 8), \(bytes.count - position) left")
        }
        return Int(raw)
    }

    private mutating func readBigEndian64() throws -> UInt64 {
        try readBytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// A little-endian two's-complement integer of `length` bytes that must fit in 64 bits.
    private mutating func readLong(length: Int) throws -> Int64 {
        let raw = try readBytes(length)
        guard raw.count <= 8 else { throw fail("unsupported pickle: an integer of \(raw.count) bytes (more than 64 bits)") }
        guard let last = raw.last else { return 0 }
        var value: UInt64 = last & 0x80 != 0 ? ~0 : 0   // sign extension
        for byte in raw.reversed() { value = value << 8 | UInt64(byte) }
        return Int64(bitPattern: value)
    }

    private mutating func readText(_ count: Int) throws -> String {
        let raw = try readBytes(count)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw fail("malformed pickle: a string at byte \(position - count) is not UTF-8")
        }
        return text
    }

    private mutating func readLatin1(_ count: Int) throws -> String {
        String(decoding: try readBytes(count).map { UInt16($0) }, as: UTF16.self)
    }

    /// A GLOBAL operand: printable ASCII up to a newline, at most 256 bytes.
    private mutating func readLine() throws -> String {
        var raw: [UInt8] = []
        while true {
            let byte = try readByte()
            if byte == 0x0A { break }
            guard raw.count < 256, (0x20..<0x7F).contains(byte) else {
                throw fail("malformed pickle: a GLOBAL name at byte \(position - 1) is not a short line of ASCII")
            }
            raw.append(byte)
        }
        return String(decoding: raw, as: UTF8.self)
    }
}
