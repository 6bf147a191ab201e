import Foundation
import Testing
import TestSupport
import Torch

/// The folder holding this target's reference files.
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// PyTorch's inputs and outputs written by scripts/refs/torch_refs.py, opened once.
enum Refs {
    static let file = Result { try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("torch_refs.safetensors").path) }

    /// The reference tensor `name` (`in.*` or `out.*`).
    static func tensor(_ name: String) throws -> Tensor { try file.get().tensor(name) }

    /// The input tensor `in.<name>`.
    static func input(_ name: String) throws -> Tensor { try tensor("in.\(name)") }
}

/// Checks `actual` against PyTorch's `out.<name>`: same shape and dtype, and for floating-point
/// tensors max |actual - ref| / max |ref| <= `tolerance` (0: the same bytes); other dtypes must match
/// exactly. Every caller states its tolerance, argued with `Float32Tolerance` from the depth of the op.
func expectMatches(_ actual: Tensor, _ name: String, tolerance: Double,
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
    let expected = try Refs.tensor("out.\(name)")
    #expect(actual.shape == expected.shape, "\(name): shape \(actual.shape), PyTorch \(expected.shape)", sourceLocation: sourceLocation)
    #expect(actual.dtype == expected.dtype, "\(name): dtype \(actual.dtype), PyTorch \(expected.dtype)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape, actual.dtype == expected.dtype else { return }
    if tolerance > 0 && actual.dtype.isFloatingPoint {
        let error = try actual.relativeError(to: expected)
        #expect(error <= tolerance, "\(name): relative error \(error) > \(tolerance)", sourceLocation: sourceLocation)
    } else {
        #expect(try actual.bytes() == expected.bytes(), "\(name): values differ from PyTorch's", sourceLocation: sourceLocation)
    }
}

/// The condition number of sums whose terms' magnitudes sum to `magnitudes` and whose results are
/// PyTorch's `out.<name>` (see `Float32Tolerance.condition`).
func condition(magnitudes: Tensor, _ name: String) throws -> Double {
    try Float32Tolerance.condition(magnitudes: magnitudes, result: Refs.tensor("out.\(name)"))
}

/// Checks that two tensors hold exactly the same shape, dtype and bytes.
func expectIdentical(_ a: Tensor, _ b: Tensor, _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(a.shape == b.shape, "\(what): shape \(a.shape) vs \(b.shape)", sourceLocation: sourceLocation)
    #expect(a.dtype == b.dtype, "\(what): dtype \(a.dtype) vs \(b.dtype)", sourceLocation: sourceLocation)
    #expect(try a.bytes() == b.bytes(), "\(what): values differ", sourceLocation: sourceLocation)
}

/// A fresh temporary folder, removed by the returned closure.
func makeTemporaryDirectory() throws -> (URL, () -> Void) {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("torch-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return (url, { try? FileManager.default.removeItem(at: url) })
}

/// Runs the built `dimr-bench` beside this test binary and returns its JSON output.
///
/// The loops run in their own process so that memory used by tests running in parallel in this
/// process cannot disturb the resident-memory readings.
func runDimrBench(_ arguments: [String]) throws -> [String: Any] {
    let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let bench = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("dimr-bench")
    guard FileManager.default.isExecutableFile(atPath: bench.path) else {
        throw TorchError("dimr-bench is not built next to the test binary (\(bench.path)); build all products first")
    }
    let process = Process()
    process.executableURL = bench
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TorchError("dimr-bench \(arguments) exited with status \(process.terminationStatus)")
    }
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw TorchError("dimr-bench \(arguments) printed no JSON object")
    }
    return object
}
