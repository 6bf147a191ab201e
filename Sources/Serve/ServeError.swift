/// An error of `dimr serve` outside a request (settings, the output folder, the model), with a message for the user.
public struct ServeError: Error, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
