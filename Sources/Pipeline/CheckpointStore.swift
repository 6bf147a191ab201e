import Foundation
import Torch

/// A folder of numbered checkpoint files (`step-00001000.safetensors`), written atomically,
/// keeping the newest `keep`.
public struct CheckpointStore {
    /// The folder.
    public let directory: String
    /// How many checkpoints to keep (at least 1).
    public let keep: Int

    /// Uses (and creates) `directory`.
    /// - Throws: `PipelineError` when `keep` is below 1 or the folder cannot be created.
    public init(directory: String, keep: Int = 3) throws {
        guard keep >= 1 else { throw PipelineError("--keep must be at least 1 (the newest checkpoint is always kept), got \(keep)") }
        self.directory = directory
        self.keep = keep
        try FileErrors.createFolder(directory)
    }

    /// The file name for a step.
    public static func fileName(step: Int) -> String { String(format: "step-%08d.safetensors", step) }

    /// Existing checkpoints, oldest first, with their steps.
    public func list() -> [(step: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("step-"), name.hasSuffix(".safetensors"),
                  let step = Int(name.dropFirst(5).dropLast(12)) else { return nil }
            return (step, directory + "/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    /// The newest checkpoint, if any.
    public var latest: String? { list().last?.path }

    /// Writes a checkpoint for `step` atomically, then deletes all but the newest `keep`.
    @discardableResult
    public func save(step: Int, tensors: [String: Tensor], metadata: [String: String]) throws -> String {
        let path = directory + "/" + Self.fileName(step: step)
        do {
            try SafeTensors.save(tensors, metadata: metadata, to: path)
        } catch {
            throw PipelineError("cannot write checkpoint \(path): \(FileErrors.reason(error))")
        }
        let all = list()
        for old in all.dropLast(keep) { try? FileManager.default.removeItem(atPath: old.path) }
        return path
    }
}
