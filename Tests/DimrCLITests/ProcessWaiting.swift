import Foundation

/// Waits up to `seconds` for `process` to exit; false when it still runs.
func waitForExit(_ process: Process, seconds: Double) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning {
        guard Date() < deadline else { return false }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
    return true
}
