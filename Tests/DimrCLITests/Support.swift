import Foundation
import TestSupport

/// The built `dimr` executable: next to the test bundle, or in the package's default build folder.
func dimrExecutable() throws -> String {
    var candidates: [String] = []
    if let own = Bundle.main.executableURL?.deletingLastPathComponent().path { candidates.append(own + "/dimr") }
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/dimr")
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    candidates.append(package + "/.build/debug/dimr")
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw CLIError("the dimr executable was not found (looked in \(candidates)); build it with `swift build`")
    }
    return found
}

/// A test failure message.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The outcome of running `dimr`.
struct RunResult {
    let status: Int32
    /// The process id it ran as (it no longer runs).
    let pid: Int32
    let output: String
    let error: String
}

/// Runs `dimr` with `arguments` (in `directory` when given) and waits for it.
@discardableResult
func runDimr(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> RunResult {
    let process = try startDimr(arguments, environment: environment, directory: directory)
    let out = try process.stdout.fileHandleForReading.readToEnd() ?? Data()
    let err = try process.stderr.fileHandleForReading.readToEnd() ?? Data()
    process.process.waitUntilExit()
    return RunResult(status: process.process.terminationStatus, pid: process.process.processIdentifier, output: String(decoding: out, as: UTF8.self),
                     error: String(decoding: err, as: UTF8.self))
}

/// A started `dimr` process with its pipes.
struct StartedProcess {
    let process: Process
    let stdout: Pipe
    let stderr: Pipe
}

/// Starts `dimr` (in `directory` when given) without waiting.
func startDimr(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> StartedProcess {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try dimrExecutable())
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    var env = ProcessInfo.processInfo.environment
    env["OMP_NUM_THREADS"] = "1"
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    return StartedProcess(process: process, stdout: out, stderr: err)
}

/// A fresh empty folder, removed when the test process exits.
func temporaryFolder(_ name: String = #function) throws -> String {
    try ScratchFolder.make(name)
}

/// A two-stage model for 1x8x8 images with 3 classes + null, in the authors' JSON field names.
let tinyModelJSON = """
{"channels": 1, "num_classes": 4, "norm_type": "TDRMSN", "block_grad_to_lowres": false, "stage_configs": [
 {"block_type": "TransformerBlock", "dim": 16, "hidden_dim": 32, "num_attention_heads": 2, "num_blocks": 1,
  "max_height": 4, "max_width": 4, "image_input_ratio": 1, "input_feature_ratio": 2, "final_kernel_size": 3, "dropout_prob": 0},
 {"block_type": "ConvNeXtBlock", "dim": 8, "hidden_dim": 16, "kernel_size": 3, "num_blocks": 1,
  "max_height": 8, "max_width": 8, "image_input_ratio": 1, "input_feature_ratio": 1, "final_kernel_size": 3, "dropout_prob": 0}]}
"""

/// The package's root folder.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The bundled Fashion-MNIST model.
let bundledModel = packageRoot + "/models/dimr-fmnist-3r.safetensors"

/// A copy of the `tiny-folder` case (two classes `a`, `b` of five 32x32 gray PNGs each) in a fresh folder:
/// returns the folder holding `tiny-folder`.
func tinyFolderCopy(_ name: String = #function) throws -> String {
    let root = try temporaryFolder(name)
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tiny-folder").path
    try FileManager.default.copyItem(atPath: source, toPath: root + "/tiny-folder")
    return root
}

/// Waits up to `seconds` for `condition`, polling; returns whether it held.
func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return condition()
}

/// The records of a metrics.jsonl file.
func metricsRecords(_ path: String) throws -> [[String: Double]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }
}
