/// An error of the training and sampling pipeline, with a message for the user.
public struct PipelineError: Error, CustomStringConvertible {
    /// What went wrong and, where it helps, what to do.
    public let message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
