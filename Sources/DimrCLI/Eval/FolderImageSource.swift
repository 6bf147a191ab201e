import ArgumentParser
import Datasets
import Foundation
import Pipeline
import Torch

/// The PNG and JPEG files under a folder (subfolders included, sorted by path), decoded `blockSize` at a
/// time and converted to RGB; all must have the size of the first.
struct FolderImageSource: EvalImageSource {
    let path: String
    let files: [String]
    let imageShape: (height: Int, width: Int, channels: Int)
    let blockSize: Int
    let maxPixels: Int
    private var handedOut = 0

    /// Lists the images of `folder`; `limit` keeps the first ones. Throws when there are none or the first is bad.
    init(folder: String, limit: Int? = nil, blockSize: Int = 100, maxPixels: Int = ImageDecoder.defaultMaxPixels) throws {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("image folder \(folder) not found")
        }
        guard let walker = manager.enumerator(atPath: folder) else { throw ValidationError("cannot list \(folder)") }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard !name.hasPrefix("."), ImageFolder.extensions.contains((name as NSString).pathExtension.lowercased()) else { continue }
            found.append(relative)
        }
        found.sort()
        if let limit { found = Array(found.prefix(limit)) }
        guard let first = found.first else { throw ValidationError("\(folder) holds no .png, .jpg or .jpeg files") }
        let image = try Self.read(folder + "/" + first, maxPixels: maxPixels)
        path = folder
        files = found.map { folder + "/" + $0 }
        imageShape = (image.height, image.width, 3)
        self.blockSize = blockSize
        self.maxPixels = maxPixels
    }

    var count: Int { files.count }
    var description: String { "\(path): \(count) PNG/JPEG images of \(imageShape.width)x\(imageShape.height), read as RGB" }
    var hasLabels: Bool { false }

    mutating func next() throws -> (images: Tensor, labels: Tensor?)? {
        guard handedOut < files.count else { return nil }
        let end = min(handedOut + blockSize, files.count)
        var pixels: [UInt8] = []
        pixels.reserveCapacity((end - handedOut) * imageShape.height * imageShape.width * 3)
        for file in files[handedOut..<end] {
            let image = try Self.read(file, maxPixels: maxPixels)
            guard image.width == imageShape.width, image.height == imageShape.height else {
                throw ValidationError("\(file) is \(image.width)x\(image.height); the images of \(path) must all be \(imageShape.width)x\(imageShape.height)")
            }
            pixels += image.converted(toChannels: 3).pixels
        }
        let block = try Tensor(pixels, shape: [end - handedOut, imageShape.height, imageShape.width, 3])
        handedOut = end
        return (block, nil)
    }

    /// Decodes one file; an image over the pixel limit is refused naming the option that raises it.
    private static func read(_ path: String, maxPixels: Int) throws -> RasterImage {
        do {
            return try ImageDecoder.read(path, maxPixels: maxPixels)
        } catch where ImageDecoder.isTooLarge(error) {
            throw ValidationError("\(FileErrors.reason(error)) (--max-image-pixels raises the limit)")
        }
    }
}
