import Foundation
import Torch

/// Streams a large sample batch into an `.npz` archive without holding it in memory.
///
/// Declare the total shape up front, append image batches in order, then `finish()`. The archive is
/// written by ZIPFoundation on a helper thread that pulls the image bytes as they are appended
/// (at most a few MiB wait in between); it appears at its path only once finished. Dropped
/// unfinished, the writer removes its temporary file.
public final class NPZSampleWriter {
    private let zip: ZipArchiveWriter
    private let channel = ByteChannel(capacity: 4 * ZipArchiveWriter.bufferSize)
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Outcome()
    private var waited = false
    private let total: Int
    private let imageShape: [Int]
    private var written = 0
    private var labels: [Int64] = []

    /// The error of the helper thread, read after it signals `done`.
    private final class Outcome: @unchecked Sendable {
        var error: (any Error)?
    }

    /// Starts `path` for `count` images of (height, width, channels) uint8 with int64 labels.
    ///
    /// Dimensions must be positive (a precondition); throws when their byte count overflows or the
    /// folder cannot take a new file.
    public init(path: String, count: Int, height: Int, width: Int, channels: Int) throws {
        precondition(count > 0 && height > 0 && width > 0 && channels > 0, "sample batch dimensions must be positive")
        let shape = [count, height, width, channels]
        let header = try NPY.header(dtype: .uint8, shape: shape)
        guard let imageBytes = NPY.byteCount(shape: shape, dtype: .uint8),
              case (let entrySize, false) = imageBytes.addingReportingOverflow(header.count) else {
            throw DatasetError("a sample batch of shape \(shape) is too large")
        }
        zip = try ZipArchiveWriter(path: path)
        total = count
        imageShape = [height, width, channels]
        let (zip, channel, done, outcome) = (zip, channel, done, outcome)
        Thread {
            do {
                try zip.add("arr_0.npy", size: entrySize) { _, count in try channel.pull(count) }
            } catch {
                outcome.error = error
                channel.fail(error)
            }
            done.signal()
        }.start()
        try channel.push(header)
    }

    deinit {
        if !waited {
            channel.close()
            done.wait()
        }
        zip.discard()
    }

    /// Appends (N, C, H, W) images in [-1, 1] (converted like `ImageConversion.toUInt8NHWC`) with their labels.
    ///
    /// Throws on shapes that do not match the declaration, on more images than declared, and on a
    /// failed write.
    public func append(images: Tensor, labels: Tensor) throws {
        let bytes = try ImageConversion.toUInt8NHWC(images, rgb: imageShape[2] == 3)
        guard Array(bytes.shape.dropFirst()) == imageShape else {
            throw DatasetError("images of shape \(images.shape) do not match the declared (H, W, C) \(imageShape)")
        }
        guard labels.rank == 1, labels.size(0) == bytes.size(0) else {
            throw DatasetError("labels of shape \(labels.shape) do not match \(bytes.size(0)) images")
        }
        guard written + bytes.size(0) <= total else {
            throw DatasetError("more than the declared \(total) images appended")
        }
        try channel.push(bytes.bytes())
        self.labels += try labels.to(.int64).toArray(Int64.self)
        written += bytes.size(0)
    }

    /// Writes the labels, closes the archive and moves it into place; all declared images must have been appended.
    public func finish() throws {
        guard written == total else { throw DatasetError("\(written) images appended, \(total) declared") }
        if !waited {
            done.wait()
            waited = true
        }
        if let error = outcome.error { throw error }
        try zip.add("arr_1.npy", bytes: NPYArray(Tensor(labels)).encoded())
        try zip.commit()
    }
}
