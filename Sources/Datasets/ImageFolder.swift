import Foundation
import Torch

/// Labeled PNG images in one subfolder per class (`root/<class>/*.png`), loaded into memory.
public struct ImageFolder: Sendable {
    /// Class names (subfolder names), sorted; a class's label is its index here.
    public let classNames: [String]
    /// Image paths in load order: classes in order, files sorted by name within each class.
    public let paths: [String]
    /// Images (N, C, H, W) float32 in [-1, 1].
    public let images: Tensor
    /// Labels (N) int64, indices into `classNames`.
    public let labels: Tensor

    /// Number of images.
    public var count: Int { paths.count }

    /// Loads every PNG under `directory`; each must be `width` x `height`, and is converted to `channels` (1 gray or 3 RGB).
    ///
    /// Hidden entries and files not ending in `.png` are skipped; subfolders of class folders are not searched.
    public init(directory: String, width: Int, height: Int, channels: Int = 3) throws {
        precondition(channels == 1 || channels == 3, "an image folder loads 1 (gray) or 3 (RGB) channels, got \(channels)")
        precondition(width > 0 && height > 0, "image size must be positive, got \(width)x\(height)")
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw DatasetError("image folder \(directory) not found")
        }
        func listing(_ path: String) throws -> [String] {
            do {
                return try manager.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
            } catch {
                throw DatasetError("cannot list \(path): \(error.localizedDescription)")
            }
        }
        let classes = try listing(directory).filter { name in
            var folder: ObjCBool = false
            return manager.fileExists(atPath: "\(directory)/\(name)", isDirectory: &folder) && folder.boolValue
        }
        guard !classes.isEmpty else {
            throw DatasetError("image folder \(directory) has no class subfolders (expected \(directory)/<class>/*.png)")
        }
        var paths: [String] = []
        var labels: [Int64] = []
        for (label, name) in classes.enumerated() {
            for file in try listing("\(directory)/\(name)") where file.lowercased().hasSuffix(".png") {
                paths.append("\(directory)/\(name)/\(file)")
                labels.append(Int64(label))
            }
        }
        guard !paths.isEmpty else { throw DatasetError("image folder \(directory) holds no .png files in its class subfolders") }

        let table = (0...255).map { Float($0) / Float(127.5) - Float(1) }
        let plane = width * height
        var values = [Float](repeating: 0, count: paths.count * channels * plane)
        for (n, path) in paths.enumerated() {
            let image = try PNG.read(path)
            guard image.width == width, image.height == height else {
                throw DatasetError("\(path) is \(image.width)x\(image.height), expected \(width)x\(height)")
            }
            let pixels = image.converted(toChannels: channels).pixels
            let base = n * channels * plane
            for i in 0..<plane {
                for c in 0..<channels { values[base + c * plane + i] = table[Int(pixels[i * channels + c])] }
            }
        }
        self.classNames = classes
        self.paths = paths
        self.images = try Tensor(values, shape: [paths.count, channels, height, width])
        self.labels = try Tensor(labels)
    }
}
