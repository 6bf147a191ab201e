import Foundation
import Pipeline

/// The job folders that earlier runs of `dimr serve` left in the output folder: removed when a server starts
/// (it holds the folder's lock then, so no other server is using them), so that disk use stays bounded by
/// `--keep-jobs` across restarts too.
///
/// Only folders that are certainly a server's job folders go: a real folder (not a link) named like a job id
/// (24 lower-case hex digits) holding nothing but what a job writes (`images/` with PNG files, `grid.png`,
/// `samples.npz`). Anything else in the output folder stays.
enum StaleJobs {
    /// Removes the job folders of earlier runs from `folder`; returns the names removed, sorted.
    @discardableResult
    static func remove(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var removed: [String] = []
        for name in names.sorted() where isJobFolder(folder + "/" + name, name: name) {
            if (try? FileManager.default.removeItem(atPath: folder + "/" + name)) != nil { removed.append(name) }
        }
        return removed
    }

    /// Whether `name` has the form of a job id.
    static func isJobID(_ name: String) -> Bool {
        name.utf8.count == 24 && name.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Whether the item at `path` (named `name`) is a job folder: a job id holding only a job's files.
    static func isJobFolder(_ path: String, name: String) -> Bool {
        guard isJobID(name), kind(path) == .typeDirectory,
              let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return false }
        for entry in entries {
            let item = path + "/" + entry
            switch entry {
            case SampleOutputs.imagesFolder:
                guard kind(item) == .typeDirectory,
                      let images = try? FileManager.default.contentsOfDirectory(atPath: item),
                      images.allSatisfy({ $0.hasSuffix(".png") && kind(item + "/" + $0) == .typeRegular }) else { return false }
            case SampleOutputs.gridName, SampleOutputs.archiveName:
                guard kind(item) == .typeRegular else { return false }
            default:
                return false
            }
        }
        return true
    }

    /// The type of the item at `path` itself (a link is a link, not what it points to).
    private static func kind(_ path: String) -> FileAttributeType? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
    }
}
