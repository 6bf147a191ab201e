import Foundation

/// A strict check of a request body before `JSONDecoder` reads it, for what Foundation's decoder lets through:
/// a byte-order mark, bytes that are not UTF-8, trailing commas, duplicate keys (the decoder keeps the first),
/// lone UTF-16 surrogates in `\u` escapes, control characters inside strings, and characters that JSON never has
/// outside strings (such as NUL, which would let a UTF-16 body through).
///
/// It scans tokens without building values; the grammar of numbers and literals and the nesting of brackets are
/// left to the decoder, which refuses what is malformed there.
enum JSONPreflight {
    /// Checks `data`.
    /// - Throws: `APIError` (400, field `body`) saying "not valid JSON: " and what is wrong, and where.
    static func check(_ data: Data) throws {
        let bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { throw invalid("it starts with a byte-order mark") }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw invalid("it is not UTF-8 text") }
        var scanner = Scanner(bytes: bytes)
        try scanner.run()
    }

    static func invalid(_ reason: String) -> APIError {
        APIError.badRequest("body", "not valid JSON: \(reason)")
    }

    /// One open object or array.
    private struct Frame {
        let isObject: Bool
        var keys: Set<String> = []
        var expectingKey: Bool
    }

    /// The kind of the last token read, to find commas before a closing bracket.
    private enum Token { case start, open, comma, colon, value }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var stack: [Frame] = []
        var last = Token.start

        init(bytes: [UInt8]) { self.bytes = bytes }

        /// Bytes that may appear outside strings in numbers and in true, false, null.
        static let scalarBytes = Set("0123456789+-.eEtrufalsn".utf8)

        mutating func run() throws {
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                    index += 1
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    stack.append(Frame(isObject: byte == UInt8(ascii: "{"), expectingKey: byte == UInt8(ascii: "{")))
                    last = .open
                    index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if last == .comma { throw JSONPreflight.invalid("a trailing comma before '\(Character(UnicodeScalar(byte)))' at byte \(index)") }
                    _ = stack.popLast()
                    last = .value
                    index += 1
                case UInt8(ascii: ","):
                    if let top = stack.indices.last, stack[top].isObject { stack[top].expectingKey = true }
                    last = .comma
                    index += 1
                case UInt8(ascii: ":"):
                    last = .colon
                    index += 1
                case UInt8(ascii: "\""):
                    let start = index
                    let text = try string()
                    if let top = stack.indices.last, stack[top].isObject, stack[top].expectingKey {
                        stack[top].expectingKey = false
                        guard stack[top].keys.insert(text).inserted else {
                            throw JSONPreflight.invalid("the key \"\(text.prefix(64))\" appears twice in one object (at byte \(start))")
                        }
                    }
                    last = .value
                default:
                    guard Self.scalarBytes.contains(byte) else {
                        let shown = byte >= 0x20 && byte < 0x7F ? "'\(Character(UnicodeScalar(byte)))'" : String(format: "byte 0x%02X", byte)
                        throw JSONPreflight.invalid("unexpected \(shown) at byte \(index)")
                    }
                    let start = index
                    while index < bytes.count && Self.scalarBytes.contains(bytes[index]) { index += 1 }
                    try Self.checkScalar(bytes[start..<index], at: start)
                    last = .value
                }
            }
        }

        /// Checks a literal or number token against JSON's grammar (`true`, `false`, `null`, or
        /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`), which Foundation's decoder reads more loosely or
        /// reports as a type error (`01`, `1.`, `+1`).
        static func checkScalar(_ token: ArraySlice<UInt8>, at start: Int) throws {
            let text = String(decoding: token.prefix(32), as: UTF8.self)
            if ["true", "false", "null"].contains(text) && token.count <= 5 { return }
            let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
            var i = token.startIndex
            func digitRun() -> Int {
                let from = i
                while i < token.endIndex && digits.contains(token[i]) { i += 1 }
                return i - from
            }
            func fail(_ why: String) -> APIError {
                JSONPreflight.invalid("\(text)\(token.count > 32 ? "..." : "") at byte \(start) \(why)")
            }
            if i < token.endIndex && token[i] == UInt8(ascii: "-") { i += 1 }
            let leading = i < token.endIndex ? token[i] : 0
            let whole = digitRun()
            guard whole > 0 else { throw fail("is not a number, true, false or null") }
            if leading == UInt8(ascii: "0") && whole > 1 { throw fail("has a leading zero, which JSON numbers do not") }
            if i < token.endIndex && token[i] == UInt8(ascii: ".") {
                i += 1
                guard digitRun() > 0 else { throw fail("needs digits after the decimal point") }
            }
            if i < token.endIndex && (token[i] == UInt8(ascii: "e") || token[i] == UInt8(ascii: "E")) {
                i += 1
                if i < token.endIndex && (token[i] == UInt8(ascii: "+") || token[i] == UInt8(ascii: "-")) { i += 1 }
                guard digitRun() > 0 else { throw fail("needs digits in its exponent") }
            }
            guard i == token.endIndex else { throw fail("is not a number, true, false or null") }
        }

        /// Reads the string starting at the quote at `index`; returns its text with escapes decoded.
        mutating func string() throws -> String {
            let start = index
            index += 1
            var utf8: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(decoding: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    try escape(into: &utf8)
                case 0..<0x20:
                    throw JSONPreflight.invalid("a control character (0x\(String(format: "%02X", byte))) inside a string at byte \(index); escape it")
                default:
                    utf8.append(byte)
                    index += 1
                }
            }
            throw JSONPreflight.invalid("the string starting at byte \(start) does not end")
        }

        /// Decodes the escape at `index` (a backslash) into `utf8`.
        mutating func escape(into utf8: inout [UInt8]) throws {
            let at = index
            guard index + 1 < bytes.count else { throw JSONPreflight.invalid("an escape at byte \(at) is cut off") }
            let kind = bytes[index + 1]
            index += 2
            let simple: [UInt8: UInt8] = [UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F,
                                          UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A,
                                          UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09]
            if let value = simple[kind] {
                utf8.append(value)
                return
            }
            guard kind == UInt8(ascii: "u") else { throw JSONPreflight.invalid("an unknown escape at byte \(at)") }
            let unit = try hex4(at: at)
            var scalar: UnicodeScalar?
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by an escaped low one.
                if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    index += 2
                    let low = try hex4(at: at)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = UnicodeScalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    }
                }
            } else if !(0xDC00...0xDFFF).contains(unit) {
                scalar = UnicodeScalar(unit)
            }
            guard let scalar else {
                throw JSONPreflight.invalid("a lone UTF-16 surrogate in the \\u escape at byte \(at), which is no character")
            }
            utf8.append(contentsOf: Array(String(Character(scalar)).utf8))
        }

        /// The 4 hex digits at `index`.
        mutating func hex4(at escape: Int) throws -> UInt32 {
            guard index + 4 <= bytes.count,
                  let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
                  bytes[index..<index + 4].allSatisfy({ Character(UnicodeScalar($0)).isHexDigit }) else {
                throw JSONPreflight.invalid("a \\u escape without 4 hex digits at byte \(escape)")
            }
            index += 4
            return value
        }
    }
}
