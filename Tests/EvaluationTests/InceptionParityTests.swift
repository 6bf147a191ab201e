import Foundation
import Testing
import Torch
@testable import Evaluation
@testable import NN

/// pytorch-fid's own network (scripts/refs/inception_refs.py: `pytorch_fid.inception.InceptionV3` with the
/// random weights of `RandomInceptionWeights`, run in float64) against ours on the same three images.
@Suite(.serialized) struct InceptionParityTests {
    static let reference = Result { try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("inception_random.safetensors").path) }

    static func network(dtype: DType) throws -> FIDInceptionV3 {
        let network = Init.skipping { FIDInceptionV3() }
        try network.load(RandomInceptionWeights.stateDict(for: network), what: "random weights")
        try network.to(dtype: dtype)
        return network
    }

    static func compare(_ features: InceptionFeatures, tolerance: Double) throws {
        let file = try reference.get()
        for (name, ours) in [("pool", features.pool), ("logits", features.logits), ("spatial", features.spatial)] {
            let expected = try file.tensor(name)
            #expect(ours.shape == expected.shape, "\(name): shape \(ours.shape), pytorch-fid \(expected.shape)")
            guard ours.shape == expected.shape else { continue }
            let error = try ours.to(.float64).relativeError(to: expected)
            #expect(error <= tolerance, "\(name): relative error \(error) > \(tolerance)")
        }
    }

    @Test func float64MatchesPytorchFIDExactly() throws {
        let images = try Self.reference.get().tensor("images")                       // (3, 40, 48, 3) uint8
        let features = try Self.network(dtype: .float64).features(bytes: images)
        // Both sides evaluate the same float64 network; they differ only in summation order inside the
        // convolutions. The deepest path holds about 50 convolutions of at most 3·3·448 = 4032 terms each:
        // 2 γ_n with n = 50 · 4032 and u = 2^-53 is 2.2e-11 relative, times a cancellation factor of a few.
        try Self.compare(features, tolerance: 1e-9)
    }

    @Test func float32MatchesPytorchFIDWithin1e4() throws {
        let images = try Self.reference.get().tensor("images")
        let features = try Self.network(dtype: .float32).features(bytes: images)
        // The bound 1e-4. Its argument: float32 rounding errors of independent sign grow like the
        // square root of the number of roundings (Higham, 2nd ed., section 2.8): √(50 · 4032) · 2^-24 = 2.7e-5
        // relative along the deepest path, and 1e-4 leaves a factor 4 for cancellation. pytorch-fid's own
        // float32 run differs from its float64 one by 5.6e-7 (pool), 8.6e-7 (logits) and 2.4e-6 (spatial).
        try Self.compare(features, tolerance: 1e-4)
    }

    @Test func stateDictNamesArePytorchFIDs() throws {
        let network = Init.skipping { FIDInceptionV3() }
        let names = Set(network.stateDict().keys)
        // 94 BasicConv2d units (conv.weight + 4 bn tensors + num_batches_tracked each) and fc.weight, fc.bias.
        #expect(names.count == 94 * 6 + 2)
        for name in ["Conv2d_1a_3x3.conv.weight", "Mixed_6d.branch1x1.bn.running_var", "Mixed_7c.branch3x3dbl_3b.conv.weight",
                     "Mixed_5b.branch_pool.bn.num_batches_tracked", "fc.weight", "fc.bias"] {
            #expect(names.contains(name), "missing \(name)")
        }
        try network.load(RandomInceptionWeights.stateDict(for: network))
    }

    @Test func loadingReportsMissingAndMisshapenKeys() throws {
        let network = Init.skipping { FIDInceptionV3() }
        var state = try RandomInceptionWeights.stateDict(for: network)
        state["Mixed_6d.branch1x1.conv.weight"] = nil
        state["fc.weight"] = try Tensor.zeros([10, 2048])
        state["AuxLogits.fc.weight"] = try Tensor.zeros([1])
        let message = thrownMessage { try network.load(state, what: "weights.pth") } ?? ""
        #expect(message.contains("weights.pth is not the FID Inception-v3"))
        #expect(message.contains("missing keys: Mixed_6d.branch1x1.conv.weight"))
        #expect(message.contains("unexpected keys: AuxLogits.fc.weight"))
        #expect(message.contains("fc.weight: checkpoint [10, 2048], model [1008, 2048]"))
        #expect(thrownMessage { _ = try FIDInceptionV3.load(path: "/nonexistent/pt_inception.pth") }?.contains("not found") == true)
    }

    @Test func grayImagesAreRepeatedToRGB() throws {
        let network = try Self.network(dtype: .float32)
        let gray = try Tensor.randint(0, 256, [2, 20, 20, 1], generator: Generator(seed: 3)).to(.uint8)
        let rgb = try gray.expand([2, 20, 20, 3]).contiguous()
        let a = try network.features(bytes: gray), b = try network.features(bytes: rgb)
        #expect(try a.pool.bytes() == b.pool.bytes())
        #expect(thrownMessage { _ = try network.features(bytes: Tensor.zeros([2, 20, 20, 2], dtype: .uint8)) } != nil)
        #expect(thrownMessage { _ = try network.features(images: Tensor.zeros([2, 1, 20, 20])) } != nil)
    }
}
