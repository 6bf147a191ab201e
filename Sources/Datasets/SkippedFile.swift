/// A file a dataset left out because it could not be used, and why.
public struct SkippedFile: Sendable, Equatable {
    /// The file's path.
    public let path: String
    /// The error that made it unusable (its message names the file).
    public let reason: String

    /// A skipped file and the reason.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
