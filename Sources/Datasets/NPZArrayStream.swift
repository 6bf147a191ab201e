import Foundation
import Torch

/// One array of an `.npz` archive read a block of rows at a time, for arrays too large to load whole
/// (the ADM suite's sample batches: 50,000 images of 256x256x3 bytes are 9.8 GB).
///
/// A stored (uncompressed, `np.savez`) entry is read where it lies in the mapped file: only the rows asked
/// for are copied, and its CRC-32 is checked as the rows go by (a mismatch throws when the last rows are
/// read). A deflated entry (`np.savez_compressed`) is inflated whole first, as `NPZ.read` does.
public final class NPZArrayStream {
    /// The archive's path.
    public let path: String
    /// The array's name (without `.npy`).
    public let name: String
    /// The element type.
    public let dtype: DType
    /// The array's shape; rows are along the first dimension.
    public let shape: [Int]
    /// Rows not yet read.
    public private(set) var remaining: Int
    private let data: Data            // the array's bytes after the npy header
    private let rowBytes: Int
    private var offset = 0
    private var crc: UInt32 = 0
    private let expectedCRC: UInt32?
    private let headerBytes: Data

    /// Opens array `name` of the archive at `path`.
    /// - Throws: `DatasetError` naming the file and entry when the archive or the array is damaged, the entry
    ///   is missing (the error lists the arrays present), or the array has no rows dimension.
    public init(path: String, array name: String) throws {
        let zip: ZipReader
        do { zip = try ZipReader(path: path) } catch let error as TorchError { throw DatasetError(error.message) }
        guard let entry = zip.entries.first(where: { $0.name == name + ".npy" }) else {
            let names = zip.entries.map(\.name).filter { $0.hasSuffix(".npy") }.map { String($0.dropLast(4)) }
            throw DatasetError("\(path) has no array \(name) (arrays: \(names.joined(separator: ", ")))")
        }
        let what = "\(path): \(entry.name)"
        let file: Data
        do {
            file = entry.method == 0 ? try zip.storedData(of: entry) : Data(try zip.contents(of: entry))
        } catch let error as TorchError {
            throw DatasetError(error.message)
        }
        let header = try NPYHeader.parse(file, what: what)
        guard file.count - header.dataStart == header.byteCount else {
            throw DatasetError("\(what): shape \(header.shape) of \(header.dtype) needs \(header.byteCount) data bytes, found \(file.count - header.dataStart)")
        }
        guard let rows = header.shape.first else { throw DatasetError("\(what) is a scalar, not an array of rows") }
        self.path = path
        self.name = name
        dtype = header.dtype
        shape = header.shape
        remaining = rows
        rowBytes = rows > 0 ? header.byteCount / rows : 0
        headerBytes = file.prefix(header.dataStart)
        data = file.dropFirst(header.dataStart)
        expectedCRC = entry.method == 0 ? entry.crc : nil
        if expectedCRC != nil { crc = Zlib.crc32(headerBytes) }
    }

    /// The next `maxRows` rows or fewer (nil when none are left), as a CPU tensor of shape (rows, shape[1...]).
    /// - Throws: `DatasetError` when the stored entry's CRC-32 does not match once its last rows are read.
    public func next(maxRows: Int) throws -> Tensor? {
        precondition(maxRows > 0, "rows per block must be positive")
        guard remaining > 0 else { return nil }
        let rows = min(maxRows, remaining)
        let start = data.startIndex + offset
        let block = data[start..<(start + rows * rowBytes)]
        if expectedCRC != nil { crc = Zlib.crc32(block, continuing: crc) }
        let tensor = try block.withUnsafeBytes { try Tensor.fromBytes($0, shape: [rows] + shape.dropFirst(), dtype: dtype) }
        offset += rows * rowBytes
        remaining -= rows
        if remaining == 0, let expectedCRC, crc != expectedCRC {
            throw DatasetError("\(path): \(name).npy: CRC mismatch (stored \(expectedCRC), computed \(crc))")
        }
        return tensor
    }

    /// The names of the arrays in the archive at `path` (without `.npy`), in archive order.
    public static func arrayNames(path: String) throws -> [String] {
        do {
            return try ZipReader(path: path).entries.map(\.name).filter { $0.hasSuffix(".npy") }.map { String($0.dropLast(4)) }
        } catch let error as TorchError {
            throw DatasetError(error.message)
        }
    }
}
