import Foundation
import Torch

/// Fashion-MNIST (Zalando, 10 clothing classes, 28x28 gray), read from its IDX files and padded to 32x32.
public struct FashionMNIST: Sendable {
    /// Which half of the data set.
    public enum Split: String, Sendable, CaseIterable {
        /// The 60000 training images.
        case train
        /// The 10000 test images.
        case test

        /// The file-name prefix of the split (`train` or `t10k`).
        public var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let systemDirectory = "/usr/share/datasets/fashion-mnist"
    /// Environment variable naming another folder holding the files.
    public static let environmentVariable = "DIMR_FASHION_MNIST"
    /// Number of classes.
    public static let classCount = 10
    /// Side of the stored images.
    public static let storedSide = 28
    /// Side of the images handed out (padded with background).
    public static let side = 32
    /// Class names in label order.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// The split that was read.
    public let split: Split
    /// Images (N, 1, 32, 32) float32 in [-1, 1]; the 2-pixel border is background (-1).
    public let images: Tensor
    /// Labels (N) int64 in 0..<10.
    public let labels: Tensor

    /// Number of images.
    public var count: Int { images.size(0) }

    /// The folder to read from: `directory` if given, else `$DIMR_FASHION_MNIST`, else the Debian folder.
    public static func resolveDirectory(_ directory: String? = nil,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let directory, !directory.isEmpty { return directory }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty { return fromEnvironment }
        return systemDirectory
    }

    /// The names a file of a split may have, in the order looked for: `train-images-idx3-ubyte.gz`,
    /// then unpacked, then the same with a dot (`train-images.idx3-ubyte`) as some downloads name them.
    static func fileNames(split: Split, kind: String) -> [String] {
        let (what, format) = (kind.split(separator: "-").first ?? "", kind.split(separator: "-").last ?? "")
        let dashed = "\(split.filePrefix)-\(what)-\(format)-ubyte", dotted = "\(split.filePrefix)-\(what).\(format)-ubyte"
        return [dashed + ".gz", dashed, dotted + ".gz", dotted]
    }

    /// Every path an IDX file of either split may have in `directory` (see `fileNames`), present or not: the
    /// files a command reading Fashion-MNIST from `directory` may read.
    public static func filePaths(directory: String) -> [String] {
        Split.allCases.flatMap { split in
            ["images-idx3", "labels-idx1"].flatMap { kind in fileNames(split: split, kind: kind).map { "\(directory)/\($0)" } }
        }
    }

    /// The path of one file of a split (see `fileNames`); the error lists every name looked for.
    static func filePath(directory: String, split: Split, kind: String) throws -> String {
        let names = fileNames(split: split, kind: kind)
        for name in names where FileManager.default.fileExists(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        var hint = ""
        if directory == systemDirectory {
            hint = " (install Debian's dataset-fashion-mnist package, or point \(environmentVariable) at a folder with the IDX files)"
        }
        throw DatasetError("Fashion-MNIST \(split.rawValue) \(kind.hasPrefix("images") ? "images" : "labels") not found in \(directory): looked for \(names.joined(separator: ", "))\(hint)")
    }

    /// A fingerprint of one split's files as stored in `directory` (see `resolveDirectory`): the CRC-32 of the
    /// image file's bytes continued over the label file's, as 8 hex digits. It tells a cut or changed copy of the
    /// data from the full set without parsing it (about 30 MB read for the training split).
    /// - Throws: `DatasetError` naming the files looked for when one is missing; a read error.
    public static func fingerprint(split: Split, directory: String? = nil) throws -> String {
        let folder = resolveDirectory(directory)
        let images = try MappedFile.read(try filePath(directory: folder, split: split, kind: "images-idx3"))
        let labels = try MappedFile.read(try filePath(directory: folder, split: split, kind: "labels-idx1"))
        return String(format: "%08x", Zlib.crc32(labels, continuing: Zlib.crc32(images)))
    }

    /// Reads one split; `directory` overrides the folder (see `resolveDirectory`).
    public init(split: Split = .train, directory: String? = nil) throws {
        let folder = Self.resolveDirectory(directory)
        let imagePath = try Self.filePath(directory: folder, split: split, kind: "images-idx3")
        let labelPath = try Self.filePath(directory: folder, split: split, kind: "labels-idx1")
        let images = try IDXArray(contentsOf: imagePath)
        let labels = try IDXArray(contentsOf: labelPath)
        try self.init(split: split, images: images, labels: labels, imagePath: imagePath, labelPath: labelPath)
    }

    /// Builds the data set from parsed IDX arrays, checking their shapes and label values.
    init(split: Split, images: IDXArray, labels: IDXArray, imagePath: String, labelPath: String) throws {
        let side = Self.storedSide
        guard images.shape.count == 3, images.shape[1] == side, images.shape[2] == side else {
            throw DatasetError("\(imagePath): expected images of shape (N, \(side), \(side)), found \(images.shape)")
        }
        guard labels.shape.count == 1 else {
            throw DatasetError("\(labelPath): expected a 1-dimensional label file, found shape \(labels.shape)")
        }
        guard labels.count == images.count else {
            throw DatasetError("\(labelPath) holds \(labels.count) labels but \(imagePath) holds \(images.count) images")
        }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= Self.classCount }) {
            throw DatasetError("\(labelPath): label \(labels.bytes[bad]) at index \(bad) is not a class in 0..<\(Self.classCount)")
        }
        self.split = split
        self.images = try Self.scaledAndPadded(images.bytes, count: images.count)
        self.labels = try Tensor(labels.bytes.map { Int64($0) })
    }

    /// Converts (N, 28, 28) bytes to (N, 1, 32, 32) float32 as `byte / 127.5 - 1` (float32 arithmetic), padding with -1.
    static func scaledAndPadded(_ bytes: [UInt8], count: Int) throws -> Tensor {
        let inner = storedSide, outer = side, margin = (side - storedSide) / 2
        let table = (0...255).map { Float($0) / Float(127.5) - Float(1) }
        var values = [Float](repeating: -1, count: count * outer * outer)
        bytes.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer { dst in
                for n in 0..<count {
                    for y in 0..<inner {
                        let from = (n * inner + y) * inner
                        let to = (n * outer + y + margin) * outer + margin
                        for x in 0..<inner { dst[to + x] = table[Int(src[from + x])] }
                    }
                }
            }
        }
        return try Tensor(values, shape: [count, 1, outer, outer])
    }
}
