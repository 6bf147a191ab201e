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
    public init(directory: String, keep: Int = 3) throws {
        precondition(keep >= 1, "a checkpoint store keeps at least one checkpoint")
        self.directory = directory
        self.keep = keep
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw PipelineError("cannot create checkpoint folder \(directory): \(error.localizedDescription)")
        }
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
        try SafeTensors.save(tensors, metadata: metadata, to: path)
        let all = list()
        for old in all.dropLast(keep) { try? FileManager.default.removeItem(atPath: old.path) }
        return path
    }
}
