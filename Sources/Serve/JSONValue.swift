/// A JSON value of an event payload.
public enum JSONValue: Sendable, Equatable, Encodable {
    /// An integer.
    case int(Int)
    /// A real number.
    case number(Double)
    /// Text.
    case string(String)

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }
}
