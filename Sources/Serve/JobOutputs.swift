import Datasets
import Foundation
import Pipeline
import Torch

/// The files of a finished job in its folder (named by the server-generated job id, never by client text):
///
/// - `images/NNNNN-class-K.png`: image k (class-major), as `dimr sample` names them;
/// - `grid.png`: all images, one row per class, labelled with the class index;
/// - `samples.npz` (format npz): uint8 NHWC `arr_0` with 3 channels (gray repeated) and int64 `arr_1`, the ADM
///   evaluation-suite layout.
enum JobOutputs {
    /// Pixels between grid tiles.
    static let padding = 2

    /// The path of image `k` of `job`, inside its folder.
    static func imagePath(_ job: Job, _ k: Int) -> String {
        precondition(k >= 0 && k < job.spec.imageCount, "image \(k) is not one of the job's")
        return "\(job.folder)/\(SampleOutputs.imagesFolder)/\(SampleOutputs.singleImageName(index: k, label: job.spec.label(ofImage: k)))"
    }

    /// The grid's path.
    static func gridPath(_ job: Job) -> String { "\(job.folder)/\(SampleOutputs.gridName)" }

    /// The archive's path.
    static func archivePath(_ job: Job) -> String { "\(job.folder)/\(SampleOutputs.archiveName)" }

    /// The grid of `images` (N, C, H, W) in [-1, 1] laid out for `spec`: one row of per_class tiles per class.
    /// Rows are labelled with the class names of `classNames` where it has them, else with numbers.
    static func grid(_ images: Tensor, spec: JobSpec, classNames: [String]?) throws -> RasterImage {
        let tiles = try ImageGrid.tile(images, columns: spec.settings.perClass, padding: padding)
        let labels = spec.settings.classes.map { ClassSelection.rowLabel($0, names: classNames) }
        return RowLabels.add(to: tiles, labels: labels, tileHeight: images.size(2), padding: padding)
    }

    /// Writes every file of `job` from its images (N, C, H, W) on the CPU.
    /// - Throws: `PipelineError` naming the file that cannot be written.
    static func write(_ images: Tensor, for job: Job, classNames: [String]?) throws {
        try FileErrors.createFolder("\(job.folder)/\(SampleOutputs.imagesFolder)")
        for k in 0..<job.spec.imageCount {
            let single = try ImageGrid.tile(images.narrow(dim: 0, start: k, length: 1), columns: 1, padding: 0)
            try save(PNG.encode(single), to: imagePath(job, k))
        }
        try save(PNG.encode(grid(images, spec: job.spec, classNames: classNames)), to: gridPath(job))
        if job.spec.settings.format == .npz {
            let labels = try Tensor((0..<job.spec.imageCount).map { Int64(job.spec.label(ofImage: $0)) })
            try NPZ.writeSamples(images: images, labels: labels, rgb: true, to: archivePath(job))
        }
    }

    private static func save(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw PipelineError("cannot write \(path): \(FileErrors.reason(error))")
        }
    }
}
