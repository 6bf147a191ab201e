/// An error reading or writing dataset files (gzip, IDX, PNG, NPZ, image folders).
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, naming the file where one is known.
    public let message: String

    /// Creates an error with a message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
