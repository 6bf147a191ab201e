import Foundation

/// The JSON body of `POST /v1/generate`, as sent: every field optional, unknown fields refused.
///
/// Decoding checks only the JSON types; `JobSpec` checks the values against the model and the limits.
/// Errors are `APIError`s (400) naming the field.
public struct GenerateRequest: Decodable, Sendable, Equatable {
    /// A class given by index or by name.
    public enum ClassItem: Decodable, Sendable, Equatable {
        /// A class index.
        case index(Int)
        /// A class name (matched as `dimr sample --classes` matches names).
        case name(String)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let index = try? container.decode(Int.self) {
                self = .index(index)
            } else if let name = try? container.decode(String.self) {
                self = .name(name)
            } else {
                throw DecodingError.typeMismatch(ClassItem.self, .init(codingPath: decoder.codingPath,
                                                                      debugDescription: "a class index or name"))
            }
        }
    }

    /// One class (alternative to `classes`).
    public var `class`: ClassItem?
    /// Classes (indices or names); default: all of the model's.
    public var classes: [ClassItem]?
    /// Images per class.
    public var perClass: Int?
    /// Seed: image k's noise depends only on (seed, k).
    public var seed: UInt64?
    /// Sampler name (`SamplerName`).
    public var sampler: String?
    /// Denoiser calls.
    public var steps: Int?
    /// Guidance rule: constant, decayed or none.
    public var guidance: String?
    /// Guidance scale.
    public var scale: Double?
    /// Power of the decayed rule.
    public var power: Double?
    /// Guidance interval [low, high] on the 0...1000 time scale.
    public var interval: [Double]?
    /// Result format: png, or npz (the PNGs plus samples.npz).
    public var format: String?
    /// Solver steps between preview images in the event stream (plus one after the last); 0 or absent: no previews.
    public var previewEvery: Int?

    /// The JSON field names, in the order the documentation lists them.
    public static let fieldNames = ["class", "classes", "per_class", "seed", "sampler", "steps", "guidance", "scale",
                                    "power", "interval", "format", "preview_every"]

    /// An empty request (all defaults).
    public init() {}

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container: KeyedDecodingContainer<Key>
        do {
            container = try decoder.container(keyedBy: Key.self)
        } catch {
            throw APIError.badRequest("body", "the body must be a JSON object")
        }
        for key in container.allKeys where !Self.fieldNames.contains(key.stringValue) {
            throw APIError.badRequest(String(key.stringValue.prefix(64)),
                                      "unknown field; the fields are \(Self.fieldNames.joined(separator: ", "))")
        }
        func field<T: Decodable>(_ name: String, _ what: String, element: String? = nil) throws -> T? {
            let key = Key(name)
            guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
            do {
                return try container.decode(T.self, forKey: key)
            } catch {
                // An element of a list names its index: classes[2].
                if let element, case .typeMismatch(_, let context)? = error as? DecodingError, let index = context.codingPath.last?.intValue {
                    throw APIError.badRequest("\(name)[\(index)]", "must be \(element)")
                }
                throw APIError.badRequest(name, "must be \(what)")
            }
        }
        `class` = try field("class", "a class index or name")
        classes = try field("classes", "a list of class indexes or names", element: "a class index or name")
        perClass = try field("per_class", "an integer")
        seed = try field("seed", "an integer in 0...18446744073709551615")
        sampler = try field("sampler", "a string")
        steps = try field("steps", "an integer")
        guidance = try field("guidance", "a string")
        scale = try field("scale", "a number")
        power = try field("power", "a number")
        interval = try field("interval", "a list of two numbers [low, high]", element: "a number")
        format = try field("format", "a string")
        previewEvery = try field("preview_every", "an integer")
    }

    /// Decodes a request body, strictly: `JSONPreflight` first refuses what Foundation's decoder would let through
    /// (a byte-order mark, text that is not UTF-8, trailing commas, duplicate keys, lone surrogates).
    /// - Throws: `APIError` (400) for an empty body, a body that is not JSON ("not valid JSON: ...") or not an object,
    ///   an unknown field or a value of the wrong type.
    public static func decode(_ data: Data) throws -> GenerateRequest {
        // An HTTP/1.0 client that sends no Content-Length arrives here with nothing: say that, not a parse error.
        guard data.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            throw APIError.badRequest("body", "the body is empty: send a JSON object (with its Content-Length), e.g. {\"class\": 0}")
        }
        try JSONPreflight.check(data)
        do {
            return try JSONDecoder().decode(GenerateRequest.self, from: data)
        } catch let error as APIError {
            throw error
        } catch {
            throw JSONPreflight.invalid("it does not parse (look for a missing quote, comma or bracket, or a malformed number)")
        }
    }
}
