import Foundation
import Torch

/// NumPy `.npz` archives, including the sample batches of the ADM evaluation suite.
public enum NPZ {
    /// Writes `arrays` (name without `.npy`, tensor) as an uncompressed `.npz` archive.
    public static func write(_ arrays: [(name: String, tensor: Tensor)], to path: String) throws {
        let zip = try ZipWriter(path: path)
        for (name, tensor) in arrays {
            try zip.addEntry(name + ".npy", bytes: NPYArray(tensor).encoded())
        }
        try zip.finish()
    }

    /// Writes a sample batch in the ADM evaluation-suite layout: `arr_0` uint8 (N, H, W, C) images, `arr_1` int64 labels.
    ///
    /// `images` are (N, C, H, W) floats in [-1, 1], converted by `ImageConversion.toUInt8NHWC`;
    /// `rgb` repeats gray images to three channels.
    public static func writeSamples(images: Tensor, labels: Tensor? = nil, rgb: Bool = false, to path: String) throws {
        let bytes = try ImageConversion.toUInt8NHWC(images, rgb: rgb)
        var arrays: [(name: String, tensor: Tensor)] = [("arr_0", bytes)]
        if let labels {
            guard labels.rank == 1, labels.size(0) == images.size(0) else {
                throw DatasetError("labels of shape \(labels.shape) do not match \(images.size(0)) images")
            }
            arrays.append(("arr_1", try labels.to(.int64)))
        }
        try write(arrays, to: path)
    }

    /// Reads every array of an `.npz` archive, keyed by name without `.npy`.
    public static func read(_ path: String) throws -> [String: NPYArray] {
        let zip = try ZipReader(path: path)
        var arrays: [String: NPYArray] = [:]
        for entry in zip.entries where entry.name.hasSuffix(".npy") {
            let name = String(entry.name.dropLast(4))
            arrays[name] = try NPYArray(parsing: zip.contents(of: entry), what: "\(path): \(entry.name)")
        }
        return arrays
    }
}

/// Streams a large sample batch into an `.npz` archive without holding it in memory.
///
/// Declare the total shape up front, append image batches in order, then `finish()`.
public final class NPZSampleWriter {
    private let zip: ZipWriter
    private let total: Int
    private let imageShape: [Int]
    private var written = 0
    private var labels: [Int64] = []

    /// Starts `path` for `count` images of (height, width, channels) uint8 with int64 labels.
    public init(path: String, count: Int, height: Int, width: Int, channels: Int) throws {
        precondition(count > 0 && height > 0 && width > 0 && channels > 0, "sample batch dimensions must be positive")
        zip = try ZipWriter(path: path)
        total = count
        imageShape = [height, width, channels]
        let header = try NPY.header(dtype: .uint8, shape: [count, height, width, channels])
        try zip.beginEntry("arr_0.npy", size: header.count + count * height * width * channels)
        try zip.write(header)
    }

    /// Appends (N, C, H, W) images in [-1, 1] (converted like `ImageConversion.toUInt8NHWC`) with their labels.
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
        try zip.write(bytes.bytes())
        self.labels += try labels.to(.int64).toArray(Int64.self)
        written += bytes.size(0)
    }

    /// Writes the labels, closes the archive and moves it into place; all declared images must have been appended.
    public func finish() throws {
        guard written == total else { throw DatasetError("\(written) images appended, \(total) declared") }
        try zip.endEntry()
        try zip.addEntry("arr_1.npy", bytes: NPYArray(Tensor(labels)).encoded())
        try zip.finish()
    }
}
