/// A DiT configuration or input that cannot be used, in words that name what is wrong.
public struct DiTError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
