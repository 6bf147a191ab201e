import Foundation

/// A model configuration kept as JSON (in checkpoints' metadata and `--config` files): decoded strictly, then
/// validated, and written with sorted keys so that the same configuration always gives the same text.
public protocol JSONConfiguration: Codable {
    /// Checks the decoded values (ranges, shapes that fit together).
    /// - Throws: the family's error, naming the field.
    func validate() throws

    /// The family's error for JSON that does not decode into the configuration; `reason` says what and where.
    static func invalidJSON(_ reason: String) -> any Error
}

extension JSONConfiguration {
    /// Decodes a configuration from `json` and validates it.
    /// - Throws: `invalidJSON` naming the missing or mistyped field and its path; what `validate` throws.
    public static func fromJSON(_ json: String) throws -> Self {
        let config: Self
        do {
            config = try JSONDecoder().decode(Self.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw invalidJSON(describe(error))
        }
        try config.validate()
        return config
    }

    /// The configuration as JSON with sorted keys (indented when `pretty`).
    public func toJSON(pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// A decoding error in words: what is wrong and at which path (`stage_configs[1].depth`).
private func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.isEmpty ? "top level" : String(p.drop { $0 == "." })
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "missing field \(key.stringValue) at \(path(context))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
        return "wrong type at \(path(context)): \(context.debugDescription)"
    case .dataCorrupted(let context):
        return "\(context.debugDescription) at \(path(context))"
    @unknown default:
        return "\(error)"
    }
}
