import Foundation
import Testing
import Torch
@testable import Evaluation

/// The folder holding this target's reference files.
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The message of the error `body` throws, or nil when it does not throw.
func thrownMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as EvaluationError {
        return error.message
    } catch {
        return "\(error)"
    }
}

/// A float64 tensor from rows of numbers.
func matrix(_ rows: [[Double]]) throws -> Tensor {
    try Tensor(rows.flatMap { $0 }, shape: [rows.count, rows.first?.count ?? 0])
}
