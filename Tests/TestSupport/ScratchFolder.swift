import Foundation

/// Folders for the files one test process writes, all under one root that is removed when the process exits.
///
/// Tests that left their folders in the temporary directory filled a CI machine's disk over a few hundred
/// runs (one evaluation fixture alone is 160 MB); a process that ends normally now leaves nothing behind.
/// A process killed by a signal still leaves its root, named `dimr-tests-PID-...`.
public enum ScratchFolder {
    /// The process's root folder, created on first use; an `atexit` handler removes it with everything in it.
    public static let root: String = {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("dimr-tests-\(getpid())-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            preconditionFailure("cannot create the tests' scratch folder \(path): \(error)")
        }
        atexit { try? FileManager.default.removeItem(atPath: ScratchFolder.root) }
        return path
    }()

    /// A fresh, empty folder under `root`, named after `name` (letters and digits kept) and a UUID.
    public static func make(_ name: String) throws -> String {
        let cleaned = name.filter { $0.isLetter || $0.isNumber }
        let path = root + "/\(cleaned)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }
}
