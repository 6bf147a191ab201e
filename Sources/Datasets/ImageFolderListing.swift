import Foundation

/// The images of a class-per-subfolder tree (`ROOT/<class>/<image>`), listed without reading them.
///
/// Classes are the subfolders in sorted order, so class k is the k-th folder name, as
/// torchvision's `ImageFolder` and the authors' ImageNet code number them. Hidden entries and files
/// without an image extension (`ImageFolder.extensions`) are skipped; subfolders of class folders are
/// not searched.
public struct ImageFolderListing: Sendable {
    /// Class names (subfolder names), sorted; the label of a class is its index here.
    public let classNames: [String]
    /// Image files in class order, then name order.
    public let files: [(path: String, label: Int)]

    /// Lists `directory`.
    ///
    /// - Throws: `DatasetError` when the folder is missing, has no class subfolders or no images.
    public init(directory: String) throws {
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
            throw DatasetError("image folder \(directory) has no class subfolders (expected \(directory)/<class>/*.png or *.jpg)")
        }
        var found: [(path: String, label: Int)] = []
        for (label, name) in classes.enumerated() {
            for file in try listing("\(directory)/\(name)")
            where ImageFolder.extensions.contains(URL(fileURLWithPath: file).pathExtension.lowercased()) {
                found.append(("\(directory)/\(name)/\(file)", label))
            }
        }
        guard !found.isEmpty else {
            throw DatasetError("image folder \(directory) holds no .png, .jpg or .jpeg files in its class subfolders")
        }
        classNames = classes
        files = found
    }
}
