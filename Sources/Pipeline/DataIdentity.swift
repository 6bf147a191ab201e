import Foundation
import Torch

/// What makes two spellings of a data set the same data, stored in checkpoints so that a run resumes
/// whatever path names its data (relative, absolute, a moved folder) and refuses other data.
///
/// - Image folders: the sorted list of `class/file` names with each file's size in bytes.
/// - Fashion-MNIST: the images and labels as read (so `.gz` and unpacked IDX files are the same data).
public struct DataIdentity: Codable, Equatable, Sendable {
    /// `image-folder` or `fashion-mnist`.
    public var kind: String
    /// Number of images.
    public var images: Int
    /// 64-bit fingerprint, 16 hexadecimal digits.
    public var fingerprint: String
    /// The path the data was given by when the identity was taken (shown in messages, never compared).
    public var source: String

    /// An identity from its parts.
    public init(kind: String, images: Int, fingerprint: String, source: String) {
        self.kind = kind
        self.images = images
        self.fingerprint = fingerprint
        self.source = source
    }

    /// Whether two identities name the same data (`source` aside).
    public func sameData(as other: DataIdentity) -> Bool {
        kind == other.kind && images == other.images && fingerprint == other.fingerprint
    }

    /// One line for messages: `image folder of 10 images (fingerprint 0123456789abcdef, given as tiny-folder)`.
    public var description: String {
        "\(kind == "image-folder" ? "image folder" : kind) of \(images) images (fingerprint \(fingerprint), given as \(source))"
    }

    /// The identity of an image folder from the files it loaded: `paths` under `root`, as `class/file` names with sizes.
    /// - Throws: `PipelineError` when a file's size cannot be read.
    public static func imageFolder(root: String, paths: [String]) throws -> DataIdentity {
        var hasher = Fingerprint()
        let base = URL(fileURLWithPath: root).standardizedFileURL.pathComponents
        let entries = try paths.map { path -> String in
            let components = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
            let relative = components.starts(with: base) ? components.dropFirst(base.count) : components.suffix(2)
            let size: Int
            do {
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                size = (attributes[.size] as? NSNumber)?.intValue ?? -1
            } catch {
                throw PipelineError("cannot read the size of \(path): \(FileErrors.reason(error))")
            }
            return "\(relative.joined(separator: "/"))\t\(size)\n"
        }
        for entry in entries.sorted() { hasher.add(Array(entry.utf8)) }
        return DataIdentity(kind: "image-folder", images: paths.count, fingerprint: hasher.hex, source: root)
    }

    /// The identity of Fashion-MNIST from its images (N, 1, 32, 32) in [-1, 1] and int64 labels (N), as read.
    public static func fashionMNIST(images: Tensor, labels: Tensor, source: String) throws -> DataIdentity {
        var hasher = Fingerprint()
        // The images came from bytes b as b / 127.5 - 1; rounding back gives those bytes exactly.
        let bytes = try ((images + 1) * 127.5).round().clamp(min: 0, max: 255).to(.uint8).bytes()
        hasher.add(bytes)
        hasher.add(try labels.to(.int64).bytes())
        return DataIdentity(kind: "fashion-mnist", images: images.size(0), fingerprint: hasher.hex, source: source)
    }
}
