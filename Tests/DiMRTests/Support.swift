import Foundation
import Torch

/// Paths of the test data beside this file.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The path of fixture `name` (with extension).
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The shared fixtures made from the authors' code by the project (with sampler rows).
    static let shared = ["tiny2r_tdrmsn.safetensors", "tiny2r_ln_blockgrad.safetensors"]
    /// Fixtures made by scripts/refs/dimr_fixture.py (other norms, three resolutions).
    static let generated = ["adarmsn2r.safetensors", "rmsn2r.safetensors", "tdrmsn3r.safetensors",
                            "ln3r_blockgrad.safetensors"]
}

/// A temporary directory removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dimr-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// max |a - b| as a Double.
func maxAbsDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
    try (a.detach().to(.float64) - b.detach().to(.float64)).abs().max().item()
}
