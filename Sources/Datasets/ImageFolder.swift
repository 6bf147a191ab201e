import Foundation
import Torch

/// Labeled PNG and JPEG images in one subfolder per class (`root/<class>/*.png`, `*.jpg`, `*.jpeg`), loaded into memory.
public struct ImageFolder: Sendable {
    /// The file name extensions loaded, compared without case (ImageNet's files end in `.JPEG`).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Class names (subfolder names), sorted; a class's label is its index here.
    public let classNames: [String]
    /// Image paths in load order: classes in order, files sorted by name within each class.
    public let paths: [String]
    /// Files left out with `skipBadFiles` (not in `paths`), in load order, with the reason.
    public let skipped: [SkippedFile]
    /// Images (N, C, H, W) float32 in [-1, 1].
    public let images: Tensor
    /// Labels (N) int64, indices into `classNames`.
    public let labels: Tensor

    /// Number of images.
    public var count: Int { paths.count }

    /// Loads every image under `directory`; each must be `width` x `height`, and is converted to `channels` (1 gray or 3 RGB).
    ///
    /// Hidden entries and files without an image extension (see `extensions`) are skipped; subfolders
    /// of class folders are not searched. A file's format is told by its first bytes, not its name.
    ///
    /// - Throws: `DatasetError` naming the file that failed (unreadable, not an image, corrupt, over
    ///   `options.maxPixels`, of another size), unless `options.skipBadFiles` lists it in `skipped` instead;
    ///   and when the folder has no classes, no images, or only bad ones.
    public init(directory: String, width: Int, height: Int, channels: Int = 3,
                options: ImageLoadOptions = ImageLoadOptions()) throws {
        precondition(channels == 1 || channels == 3, "an image folder loads 1 (gray) or 3 (RGB) channels, got \(channels)")
        precondition(width > 0 && height > 0, "image size must be positive, got \(width)x\(height)")
        let listing = try ImageFolderListing(directory: directory)
        let classes = listing.classNames
        let found = listing.files.map { (path: $0.path, label: Int64($0.label)) }

        let table = (0...255).map { Float($0) / Float(127.5) - Float(1) }
        let plane = width * height
        var values = [Float](repeating: 0, count: found.count * channels * plane)
        var paths: [String] = []
        var labels: [Int64] = []
        var skipped: [SkippedFile] = []
        for (path, label) in found {
            let pixels: [UInt8]
            do {
                let image = try ImageDecoder.read(path, maxPixels: options.maxPixels)
                guard image.width == width, image.height == height else {
                    throw DatasetError("\(path) is \(image.width)x\(image.height), expected \(width)x\(height)")
                }
                pixels = image.converted(toChannels: channels).pixels
            } catch where options.skipBadFiles {
                skipped.append(SkippedFile(path: path, reason: "\(error)"))
                continue
            }
            let base = paths.count * channels * plane
            for i in 0..<plane {
                for c in 0..<channels { values[base + c * plane + i] = table[Int(pixels[i * channels + c])] }
            }
            paths.append(path)
            labels.append(label)
        }
        guard !paths.isEmpty else {
            throw DatasetError("image folder \(directory): all \(found.count) images were skipped as bad; "
                + "the first: \(skipped.first?.reason ?? "none")")
        }
        values.removeLast((found.count - paths.count) * channels * plane)
        self.classNames = classes
        self.paths = paths
        self.skipped = skipped
        self.images = try Tensor(values, shape: [paths.count, channels, height, width])
        self.labels = try Tensor(labels)
    }
}
