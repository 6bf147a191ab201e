import Torch

/// The header of a `.npy` file, parsed as the Python dict literal NumPy writes
/// (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`), every number checked.
struct NPYHeader {
    /// The element type.
    let dtype: DType
    /// The shape; each dimension non-negative, their product times the element size within `Int`.
    let shape: [Int]
    /// Bytes of data the shape needs.
    let byteCount: Int
    /// Offset of the first data byte.
    let dataStart: Int

    /// NumPy type strings understood, with their element types.
    static let types: [String: DType] = ["|u1": .uint8, "<u1": .uint8, "u1": .uint8, "|b1": .bool, "<i4": .int32,
                                         "<i8": .int64, "<f2": .float16, "<f4": .float32, "<f8": .float64]

    /// Parses the magic, version, header length and dict at the start of `file` (offsets are from its start).
    static func parse<C: RandomAccessCollection<UInt8>>(_ file: C, what: String) throws -> NPYHeader {
        func fail(_ why: String) -> DatasetError { DatasetError("\(what): \(why)") }
        let bytes = Array(file.prefix(12))
        guard bytes.count >= 10 else { throw fail("truncated npy file (\(bytes.count) bytes)") }
        guard Array(bytes.prefix(6)) == NPY.magic else { throw fail("not an npy file (bad magic)") }
        let major = bytes[6]
        guard (1...3).contains(major) else { throw fail("unsupported npy format version \(major).\(bytes[7])") }
        let lengthSize = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthSize else { throw fail("truncated npy header") }
        let length = (0..<lengthSize).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }  // at most 2^32 - 1
        let dataStart = 8 + lengthSize + length
        guard dataStart <= file.count else {
            throw fail("npy header declares \(length) bytes but the file has \(file.count - 8 - lengthSize) after it (truncated?)")
        }
        var parser = DictParser(text: Array(file.dropFirst(8 + lengthSize).prefix(length)), fail: fail)
        let dict = try parser.parseHeader()
        guard Set(dict.keys) == ["descr", "fortran_order", "shape"] else {
            throw fail("npy header must hold exactly 'descr', 'fortran_order' and 'shape', found \(dict.keys.sorted())")
        }
        guard case .string(let descr)? = dict["descr"] else { throw fail("npy 'descr' is not a string") }
        guard let dtype = types[descr] else { throw fail("unsupported npy element type '\(descr)'") }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw fail("npy 'fortran_order' is not True or False") }
        guard !fortran else { throw fail("Fortran-order npy arrays are not supported") }
        guard case .tuple(let shape)? = dict["shape"] else { throw fail("npy 'shape' is not a tuple of integers") }
        guard let byteCount = NPY.byteCount(shape: shape, dtype: dtype) else {
            throw fail("npy shape \(shape) of \(dtype) overflows: more than 2^63 bytes")
        }
        return NPYHeader(dtype: dtype, shape: shape, byteCount: byteCount, dataStart: dataStart)
    }
}

/// The few Python literals an npy header holds.
private enum Literal {
    case string(String)
    case bool(Bool)
    case tuple([Int])
}

/// A parser of the header dict: strings, True/False and tuples of non-negative integers.
private struct DictParser {
    let text: [UInt8]
    let fail: (String) -> DatasetError
    var at = 0

    init(text: [UInt8], fail: @escaping (String) -> DatasetError) {
        self.text = text
        self.fail = fail
    }

    /// `{key: value, ...}` then only whitespace (NumPy pads with spaces and ends with a newline).
    mutating func parseHeader() throws -> [String: Literal] {
        skipSpace()
        try expect("{")
        var dict: [String: Literal] = [:]
        while true {
            skipSpace()
            if peek("}") { at += 1; break }
            let key = try parseString()
            skipSpace()
            try expect(":")
            skipSpace()
            let value = try parseValue(for: key)
            guard dict.updateValue(value, forKey: key) == nil else { throw fail("npy header repeats '\(key)'") }
            skipSpace()
            if peek(",") { at += 1 } else if !peek("}") { throw fail("npy header: expected ',' or '}' at byte \(at)") }
        }
        skipSpace()
        guard at == text.count else { throw fail("npy header: unexpected text after the dict at byte \(at)") }
        return dict
    }

    mutating func parseValue(for key: String) throws -> Literal {
        if peek("'") || peek("\"") { return .string(try parseString()) }
        if take("True") { return .bool(true) }
        if take("False") { return .bool(false) }
        if peek("(") { return .tuple(try parseTuple(for: key)) }
        throw fail("npy header: unsupported value for '\(key)' at byte \(at)")
    }

    /// `(3, 4)`, `(5,)` or `()`.
    mutating func parseTuple(for key: String) throws -> [Int] {
        try expect("(")
        var values: [Int] = []
        while true {
            skipSpace()
            if peek(")") { at += 1; return values }
            values.append(try parseDimension(index: values.count))
            skipSpace()
            if peek(",") { at += 1 } else if !peek(")") { throw fail("npy shape: expected ',' or ')' at byte \(at)") }
        }
    }

    /// A decimal integer in 0...Int.max (a Python 2 `L` suffix allowed).
    mutating func parseDimension(index: Int) throws -> Int {
        if peek("-") { throw fail("npy shape: dimension \(index) is negative") }
        let start = at
        var value = 0
        var overflow = false
        while at < text.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[at]) {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(text[at] - UInt8(ascii: "0")))
            overflow = overflow || o1 || o2
            value = sum
            at += 1
        }
        guard at > start else { throw fail("npy shape: dimension \(index) is not an integer (byte \(at))") }
        guard !overflow else {
            throw fail("npy shape: dimension \(index) (\(String(decoding: text[start..<at], as: UTF8.self))) is too large")
        }
        if peek("L") { at += 1 }
        return value
    }

    /// A quoted string without escapes (NumPy's keys and type strings have none).
    mutating func parseString() throws -> String {
        guard at < text.count, text[at] == UInt8(ascii: "'") || text[at] == UInt8(ascii: "\"") else {
            throw fail("npy header: expected a quoted string at byte \(at)")
        }
        let quote = text[at]
        at += 1
        let start = at
        while at < text.count, text[at] != quote {
            guard text[at] != UInt8(ascii: "\\") else { throw fail("npy header: escapes in strings are not supported") }
            at += 1
        }
        guard at < text.count else { throw fail("npy header: unterminated string") }
        at += 1
        return String(decoding: text[start..<(at - 1)], as: UTF8.self)
    }

    mutating func skipSpace() {
        while at < text.count, [0x20, 0x0a, 0x0d, 0x09].contains(text[at]) { at += 1 }
    }

    func peek(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        return at + bytes.count <= text.count && Array(text[at..<(at + bytes.count)]) == bytes
    }

    mutating func take(_ s: String) -> Bool {
        guard peek(s) else { return false }
        at += s.utf8.count
        return true
    }

    mutating func expect(_ s: String) throws {
        guard take(s) else { throw fail("npy header: expected '\(s)' at byte \(at)") }
    }
}
