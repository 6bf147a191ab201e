/// Errors of the autoencoder: invalid configurations, inputs of the wrong shape, weights that do not fit.
public struct AutoencoderError: Error, CustomStringConvertible, Equatable {
    /// What went wrong, naming the field, tensor or file.
    public let message: String

    /// Creates an error with a message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
