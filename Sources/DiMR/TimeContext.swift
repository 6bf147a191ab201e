import Torch

/// The time condition of one forward pass, computed once and handed to every time-dependent layer.
///
/// The network is conditioned on `time = logSNR / 4`. When every sample of the batch has the same
/// log-SNR (as during sampling) the authors keep a single shared time of shape (1) and the layers take
/// a broadcasting path; otherwise each sample has its own time, shape (B). Both paths are reproduced.
public struct TimeContext: @unchecked Sendable {
    /// `logSNR / 4`, shape (1) when shared, else (B).
    public let time: Tensor

    /// Whether one time value serves the whole batch.
    public var isShared: Bool { rows == 1 }

    /// Number of time values (1 or the batch size).
    public let rows: Int

    /// Makes the context for a batch of `batchSize` samples from their log-SNR (shape (B) or (1)).
    public init(logSNR: Tensor, batchSize: Int) throws {
        guard logSNR.rank == 1 else {
            throw DiMRError("logSNR must be a vector (B), got shape \(logSNR.shape)")
        }
        guard logSNR.dtype.isFloatingPoint else { throw DiMRError("logSNR must be floating point, got \(logSNR.dtype)") }
        let n = logSNR.count
        guard n == batchSize || n == 1 else {
            throw DiMRError("logSNR has \(n) values for a batch of \(batchSize)")
        }
        var condition = logSNR
        if n > 1, try (logSNR .== logSNR.select(dim: 0, index: 0)).all().item() != 0 {
            condition = try logSNR.slice(dim: 0, start: 0, end: 1)  // (1)
        }
        time = try condition / 4.0
        rows = condition.count
    }
}
