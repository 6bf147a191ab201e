import Foundation
import Testing
import TestSupport
import Torch
@testable import NN

/// The folder holding this target's reference files.
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// PyTorch's numbers written by scripts/refs/nn_refs.py, opened once.
enum NNRefs {
    static let file = Result { try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("nn_refs.safetensors").path) }

    /// The reference tensor `name`.
    static func tensor(_ name: String) throws -> Tensor { try file.get().tensor(name) }
}

/// Checks `actual` against the reference `name`: same shape and max |actual - ref| / max |ref| <= `tolerance`,
/// which every caller argues with `Float32Tolerance`.
func expectMatches(_ actual: Tensor, _ name: String, tolerance: Double,
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
    let expected = try NNRefs.tensor(name)
    #expect(actual.shape == expected.shape, "\(name): shape \(actual.shape), PyTorch \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let error = try actual.relativeError(to: expected)
    #expect(error <= tolerance, "\(name): relative error \(error) > \(tolerance)", sourceLocation: sourceLocation)
}

/// Whether two tensors hold the same shape, dtype and bytes.
func identical(_ a: Tensor, _ b: Tensor) throws -> Bool {
    guard a.shape == b.shape, a.dtype == b.dtype else { return false }
    return try a.bytes() == b.bytes()
}

/// The message of the error `body` throws, or nil when it does not throw.
func thrownMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as TorchError {
        return error.message
    } catch {
        return "\(error)"
    }
}

/// A module holding one parameter per (name, tensor) pair, for optimizer tests.
final class Holder: Module, @unchecked Sendable {
    init(_ parameters: [(String, Tensor)]) throws {
        super.init()
        for (name, tensor) in parameters { try register(name, tensor: tensor.clone()) }
    }
}

/// `block.weight`, `block.nodecay_weight` and `head.bias` as in nn_refs.py's AdamW case.
final class TwoPartModel: Module, @unchecked Sendable {
    let block: Holder
    let head: Holder

    init(block blockParameters: [(String, Tensor)], head headParameters: [(String, Tensor)]) throws {
        block = try Holder(blockParameters)
        head = try Holder(headParameters)
        super.init()
        register("block", block)
        register("head", head)
    }

    /// The model at the reference script's initial values.
    static func reference() throws -> TwoPartModel {
        try TwoPartModel(block: [("weight", NNRefs.tensor("adamw.init.block.weight")),
                                 ("nodecay_weight", NNRefs.tensor("adamw.init.block.nodecay_weight"))],
                         head: [("bias", NNRefs.tensor("adamw.init.head.bias"))])
    }
}
