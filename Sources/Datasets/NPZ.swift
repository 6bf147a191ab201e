import Foundation
import Torch

/// NumPy `.npz` archives, including the sample batches of the ADM evaluation suite.
public enum NPZ {
    /// Writes `arrays` (name without `.npy`, tensor) as an uncompressed `.npz` archive, atomically.
    ///
    /// Throws on a type NumPy lacks (bfloat16) and on any failed write ("cannot write PATH: No space
    /// left on device"), leaving no temporary file behind.
    public static func write(_ arrays: [(name: String, tensor: Tensor)], to path: String) throws {
        let zip = try ZipArchiveWriter(path: path)
        for (name, tensor) in arrays {
            try zip.add(name + ".npy", bytes: NPYArray(tensor).encoded())
        }
        try zip.commit()
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

    /// Reads every array of an `.npz` archive (stored or deflated), keyed by name without `.npy`.
    ///
    /// Throws `DatasetError` naming the file and entry for any fault of the archive or of an array.
    public static func read(_ path: String) throws -> [String: NPYArray] {
        try read(ZipReader(path: path))
    }

    /// Reads every array of `.npz` bytes held in memory (the entry point for fuzzing).
    public static func read(data: Data, name: String = "npz data") throws -> [String: NPYArray] {
        try read(ZipReader(data: data, name: name))
    }

    private static func read(_ zip: ZipReader) throws -> [String: NPYArray] {
        let path = zip.path
        var arrays: [String: NPYArray] = [:]
        for entry in zip.entries where entry.name.hasSuffix(".npy") {
            let name = String(entry.name.dropLast(4))
            // Stored entries are parsed where they lie in the mapped file: their bytes are copied once.
            let what = "\(path): \(entry.name)"
            arrays[name] = entry.method == 0 ? try NPYArray(parsing: zip.checkedStoredData(of: entry), what: what)
                                             : try NPYArray(parsing: zip.contents(of: entry), what: what)
        }
        return arrays
    }
}
