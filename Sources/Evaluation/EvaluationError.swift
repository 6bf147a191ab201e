/// An error of the evaluation code, with a message saying what is wrong (the file, the field, the option).
public struct EvaluationError: Error, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
