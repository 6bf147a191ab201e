import Foundation
import Testing

/// The built `dimr-bench`, next to the test bundle.
func benchExecutable() throws -> URL {
    let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let bench = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("dimr-bench")
    try #require(FileManager.default.isExecutableFile(atPath: bench.path), "dimr-bench is built next to the tests")
    return bench
}
