import Datasets

/// What one `LatentExtraction.run` did.
public struct LatentExtractionOutcome: Sendable {
    /// The index as written at the end of the run (complete unless `interrupted`).
    public let index: LatentIndex
    /// Whether the run stopped early on request (Ctrl-C or SIGTERM), after saving what it had.
    public let interrupted: Bool
    /// Source images already handled by earlier runs when this one started (0 for a fresh extraction).
    public let resumedAt: Int
    /// Whether the shard in progress of an earlier run had to be extracted again (its file was missing or did
    /// not match the index, as after a writer killed between writing the two).
    public let redidShard: Bool
    /// Temporary files of killed writers removed from the output folder.
    public let removedTemporaries: [String]
}
