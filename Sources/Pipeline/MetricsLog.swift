import Foundation

/// Appends one JSON object per line to a metrics file (`metrics.jsonl`).
public final class MetricsLog {
    private let handle: FileHandle
    /// The file.
    public let path: String

    /// Opens (creating or appending to) `path`. With `keepingStepsUpTo`, records of later steps are dropped
    /// first: a run resumed from the checkpoint of that step writes them again.
    /// - Throws: `PipelineError` when the file cannot be read, rewritten or opened.
    public init(path: String, keepingStepsUpTo lastStep: Int? = nil) throws {
        self.path = path
        let manager = FileManager.default
        if let lastStep, manager.fileExists(atPath: path) {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw PipelineError("cannot read metrics log \(path): \(FileErrors.reason(error))")
            }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            let kept = lines.filter { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let step = (object["step"] as? NSNumber)?.intValue else { return false }
                return step <= lastStep
            }
            if kept.count != lines.count {
                do {
                    try Data(kept.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                } catch {
                    throw PipelineError("cannot rewrite metrics log \(path): \(FileErrors.reason(error))")
                }
            }
        }
        if !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil) else {
                throw PipelineError("cannot create metrics log \(path): \(FileErrors.lastReason)")
            }
        }
        do {
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
        } catch {
            throw PipelineError("cannot open metrics log \(path): \(FileErrors.reason(error))")
        }
    }

    deinit { try? handle.close() }

    /// Writes one record.
    /// - Throws: `PipelineError` when the write fails (a full disk, say).
    public func write(_ record: [String: Double]) throws {
        do {
            var data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            data.append(contentsOf: Array("\n".utf8))
            try handle.write(contentsOf: data)
        } catch {
            throw PipelineError("cannot write metrics log \(path): \(FileErrors.reason(error))")
        }
    }
}
