import ArgumentParser
import Datasets
import Foundation

/// Where images come from on the command line: `fashion-mnist:train`, `fashion-mnist:test`, an `.npz` in the
/// ADM layout, or a folder of PNG/JPEG files.
enum ImageSourceSpec: Equatable {
    case fashionMNIST(FashionMNIST.Split)
    case npz(String)
    case folder(String)

    /// Parses `text`. - Throws: `ValidationError` naming `option` for a path that is neither an .npz nor a folder.
    init(parsing text: String, option: String) throws {
        if text.hasPrefix("fashion-mnist:") {
            guard let split = FashionMNIST.Split(rawValue: String(text.dropFirst("fashion-mnist:".count))) else {
                throw ValidationError("\(option): \(text) is not fashion-mnist:train or fashion-mnist:test")
            }
            self = .fashionMNIST(split)
            return
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: text, isDirectory: &isFolder) else {
            throw ValidationError("\(option): \(text) not found")
        }
        if isFolder.boolValue {
            self = .folder(text)
        } else if text.lowercased().hasSuffix(".npz") {
            self = .npz(text)
        } else {
            throw ValidationError("\(option): \(text) is neither an .npz file, an image folder nor fashion-mnist:train|test")
        }
    }

    /// Opens the images (the first `limit`); `shuffleSeed` shuffles Fashion-MNIST's labels; a folder's images
    /// may have at most `maxPixels` pixels each.
    func open(dataDirectory: String?, limit: Int?, maxPixels: Int = ImageDecoder.defaultMaxPixels,
              shuffleSeed: UInt64? = nil) throws -> any EvalImageSource {
        switch self {
        case .fashionMNIST(let split):
            return try FashionMNISTImageSource(split: split, directory: dataDirectory, limit: limit, shuffleSeed: shuffleSeed)
        case .npz(let path):
            guard shuffleSeed == nil else { throw ValidationError("--shuffle-labels applies to fashion-mnist:train|test only") }
            return try NPZImageSource(path: path, limit: limit)
        case .folder(let path):
            guard shuffleSeed == nil else { throw ValidationError("--shuffle-labels applies to fashion-mnist:train|test only") }
            return try FolderImageSource(folder: path, limit: limit, maxPixels: maxPixels)
        }
    }
}
