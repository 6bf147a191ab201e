import Datasets
import Foundation
import Torch

/// The files `dimr sample` writes, written as batches finish so that an interrupted run keeps what it made
/// and memory does not grow with the number of images:
///
/// - `images/NNNNN-class-K.png`: each image (gray stays gray), written when its batch finishes;
/// - `samples.npz`: uint8 NHWC `arr_0` with 3 channels (gray repeated, the ADM evaluator's layout) and int64
///   `arr_1`, streamed into a temporary file that becomes `samples.npz` only when every image is in;
/// - `grid.png`: the first `gridPerClass` images of each class, one labelled row per class, written at the end.
///
/// The folder is locked while in use. Outputs of an earlier run (these names only; other files are left alone)
/// are refused unless `overwrite`, which deletes them first, so old images never sit beside new ones.
public final class SampleOutputs {
    /// The grid's file name.
    public static let gridName = "grid.png"
    /// The sample archive's file name.
    public static let archiveName = "samples.npz"
    /// The single images' folder name.
    public static let imagesFolder = "images"

    /// The output folder.
    public let folder: String
    /// Images written so far.
    public private(set) var written = 0
    private let classes: [Int]
    private let perClass: Int
    private let gridPerClass: Int
    private let singles: Bool
    private let lock: OutputLock
    private var archive: NPZSampleWriter?
    private var gridTiles: [Tensor] = []
    private let classNames: [String]?

    /// Prepares `folder` for `perClass` images of each of `classes`, of shape `imageShape` [C, H, W].
    /// - Throws: `PipelineError` when the folder cannot be created or written, is in use, or holds an earlier
    ///   run's outputs and `overwrite` is false.
    /// Grid rows are labelled with `classNames` (in label order) where they name the class, else with its number.
    public init(folder: String, classes: [Int], perClass: Int, imageShape: [Int], gridPerClass: Int,
                singles: Bool, overwrite: Bool, classNames: [String]? = nil) throws {
        precondition(perClass > 0 && gridPerClass > 0 && imageShape.count == 3, "invalid sample output layout")
        let (total, overflow) = classes.count.multipliedReportingOverflow(by: perClass)
        guard !overflow, total > 0 else { throw PipelineError("\(classes.count) classes x \(perClass) images is not a number of images") }
        self.folder = folder
        self.classes = classes
        self.classNames = classNames
        self.perClass = perClass
        self.gridPerClass = min(gridPerClass, perClass)
        self.singles = singles
        try FileErrors.createFolder(folder)
        lock = try OutputLock(folder: folder, command: "dimr sample")
        let images = "\(folder)/\(Self.imagesFolder)"
        FileErrors.removeStaleTemporaries(in: folder)
        FileErrors.removeStaleTemporaries(in: images)
        let earlier = Self.earlierOutputs(in: folder)
        if !earlier.isEmpty {
            guard overwrite else {
                let singlesCount = earlier.filter { $0.hasPrefix(Self.imagesFolder + "/") }.count
                let named = earlier.filter { !$0.hasPrefix(Self.imagesFolder + "/") } + (singlesCount > 0 ? ["\(singlesCount) images in \(Self.imagesFolder)/"] : [])
                throw PipelineError("output folder \(folder) holds the outputs of an earlier run (\(named.joined(separator: ", "))); "
                                    + "pass --overwrite to replace them, or choose another --output")
            }
            for name in earlier where unlink("\(folder)/\(name)") != 0 {
                throw PipelineError("cannot remove \(folder)/\(name) of an earlier run: \(FileErrors.lastReason)")
            }
        }
        try FileErrors.checkWritable(folder: folder)
        if singles {
            try FileErrors.createFolder(images)
            try FileErrors.checkWritable(folder: images)
        }
        let channels = imageShape[0] == 1 ? 3 : imageShape[0]
        do {
            archive = try NPZSampleWriter(path: "\(folder)/\(Self.archiveName)", count: total, height: imageShape[1],
                                          width: imageShape[2], channels: channels)
        } catch {
            throw PipelineError("cannot write \(folder)/\(Self.archiveName): \(FileErrors.reason(error))")
        }
    }

    /// The outputs of an earlier run in `folder`: `grid.png`, `samples.npz` and `images/NNNNN-class-K.png`, as paths
    /// relative to the folder.
    public static func earlierOutputs(in folder: String) -> [String] {
        let manager = FileManager.default
        var found = [gridName, archiveName].filter { manager.fileExists(atPath: "\(folder)/\($0)") }
        let names = (try? manager.contentsOfDirectory(atPath: "\(folder)/\(imagesFolder)")) ?? []
        found += names.filter(isSingleImageName).sorted().map { "\(imagesFolder)/\($0)" }
        return found
    }

    /// Whether `name` is a single image's name, `NNNNN-class-K.png`.
    static func isSingleImageName(_ name: String) -> Bool {
        guard name.hasSuffix(".png") else { return false }
        let parts = name.dropLast(4).split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[1] == "class" && parts[0].allSatisfy(\.isNumber) && !parts[0].isEmpty
            && parts[2].allSatisfy(\.isNumber) && !parts[2].isEmpty
    }

    /// The file name of image `index` of class `label`.
    public static func singleImageName(index: Int, label: Int) -> String { String(format: "%05d-class-%d.png", index, label) }

    /// Writes a finished batch: its single images and its part of the archive; keeps its grid tiles.
    /// - Throws: `PipelineError` when a write fails.
    public func add(_ batch: ClassGridSampler.Batch) throws {
        let labels = try batch.labels.toArray(Int64.self)
        for (i, label) in labels.enumerated() {
            let index = batch.start + i
            let one = try batch.images.narrow(dim: 0, start: i, length: 1)
            if singles {
                let path = "\(folder)/\(Self.imagesFolder)/" + Self.singleImageName(index: index, label: Int(label))
                do { try ImageGrid.write(one, to: path, columns: 1, padding: 0) } catch {
                    throw PipelineError("cannot write \(path): \(FileErrors.reason(error))")
                }
            }
            if index % perClass < gridPerClass { gridTiles.append(one) }
        }
        do { try archive?.append(images: batch.images, labels: batch.labels) } catch {
            throw PipelineError("cannot write \(folder)/\(Self.archiveName): \(FileErrors.reason(error))")
        }
        written += labels.count
    }

    /// Writes the grid of the images made so far and, when `complete`, finishes `samples.npz` (an incomplete
    /// archive is removed: it would not hold the images its header declares). Returns the files written.
    /// - Throws: `PipelineError` when a write fails.
    @discardableResult
    public func finish(complete: Bool) throws -> [String] {
        var files: [String] = []
        if !gridTiles.isEmpty {
            let rows = (gridTiles.count + gridPerClass - 1) / gridPerClass
            let path = "\(folder)/\(Self.gridName)"
            do {
                let grid = try ImageGrid.tile(Tensor.cat(gridTiles), columns: gridPerClass)
                let height = gridTiles[0].size(2)
                let labels = classes.prefix(rows).map { ClassSelection.rowLabel($0, names: classNames) }
                try PNG.write(RowLabels.add(to: grid, labels: labels, tileHeight: height, padding: 2), to: path)
            } catch {
                throw PipelineError("cannot write \(path): \(FileErrors.reason(error))")
            }
            files.append(Self.gridName)
        }
        if complete, let archive {
            do { try archive.finish() } catch {
                throw PipelineError("cannot write \(folder)/\(Self.archiveName): \(FileErrors.reason(error))")
            }
            files.append(Self.archiveName)
        }
        archive = nil
        if singles && written > 0 { files.append(Self.imagesFolder + "/") }
        lock.release()
        return files
    }

    /// Ends a run that failed: drops the unfinished archive (its writer removes its temporary file) and releases
    /// the lock, leaving the images written so far.
    public func abandon() {
        archive = nil
        lock.release()
    }
}
