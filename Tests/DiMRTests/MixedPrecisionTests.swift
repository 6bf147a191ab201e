import Foundation
import Testing
@testable import DiMR
import NN
import TestSupport
import Torch

@Suite("DiMR in bfloat16 mixed precision")
struct MixedPrecisionTests {
    /// The model of a parity fixture with its weights, in evaluation mode.
    private func fixtureModel(_ file: SafeTensorsFile) throws -> DiMRModel {
        let config = try DiMRConfig.fromJSON(try #require(file.metadata["config"]))
        let model = try DiMRModel(config: config, generator: Generator(seed: 0))
        var weights: [String: Tensor] = [:]
        for name in file.names where name.hasPrefix("model.") { weights[String(name.dropFirst("model.".count))] = try file.tensor(name) }
        try model.loadStateDict(weights)
        model.eval()
        return model
    }

    @Test("bf16 forward of tiny2r_tdrmsn is within the bfloat16 bound of the authors' float32 outputs")
    func fixtureForward() throws {
        let file = try SafeTensorsFile(path: Fixtures.path("tiny2r_tdrmsn.safetensors"))
        let model = try fixtureModel(file)
        let x = try file.tensor("input.x"), y = try file.tensor("input.y")
        for (logSNRKey, prefix) in [("input.log_snr", "output."), ("input.log_snr_same", "output_same.")] {
            let logSNR = try file.tensor(logSNRKey)
            let outputs = try withNoGrad { try Precision.bfloat16.run(on: .cpu) { try model.forward(x, logSNR: logSNR, classes: y) } }
            for (i, output) in outputs.enumerated() {
                let reference = try file.tensor(prefix + String(i))
                #expect(output.dtype == .float32, "the outputs come back float32")
                let error = try output.relativeError(to: reference)
                #expect(error <= Self.tolerance[i], "\(prefix)\(i): \(error)")
                #expect(error > Float32Tolerance.depth(Self.depth[i]), "\(prefix)\(i) looks computed in float32: \(error)")
            }
        }
    }

    @Test("norms take bfloat16 and compute in float32; the CPU's depthwise convolution stays float32 under autocast",
          arguments: [NormType.layerNorm, .rmsNorm, .timeDependentRMSNorm, .adaptiveRMSNorm])
    func float32Parts(norm: NormType) throws {
        let g = try Generator(seed: 4)
        let layer = try makeBlockNorm(norm, dim: 8, generator: g)
        for p in layer.parameters { try p.tensor.normal_(mean: 0.5, std: 0.5, generator: g) }
        let x = try Tensor.randn([3, 5, 8], generator: g).to(.bfloat16)
        let time = try TimeContext(logSNR: Tensor([Float(-1), 0.5, 2]), batchSize: 3)
        let ours = try Precision.bfloat16.run(on: .cpu) { try layer(x, time: time) }
        let widened = try Precision.bfloat16.run(on: .cpu) { try layer(x.to(.float32), time: time) }
        #expect(ours.dtype == .float32)
        #expect(try maxAbsDifference(ours, widened) == 0, "the same float32 arithmetic on the same values")

        let conv = try ChannelsLastDepthwiseConv(dim: 8, kernelSize: 3, generator: g)
        let image = try Tensor.randn([2, 4, 4, 8], generator: g)
        let convolved = try Precision.bfloat16.run(on: .cpu) { try conv(image) }
        #expect(convolved.dtype == .float32)
        #expect(try maxAbsDifference(convolved, conv(image)) == 0)
    }

    /// Dependent roundings to bfloat16 on the deepest path to each output. A matrix multiply or convolution
    /// rounds its float32 input, its weight and its result (3; 2 when its input is already bfloat16); GELU
    /// and the gating product round once each; on the CPU attention and the depthwise convolutions run in
    /// float32 (attention on q, k, v rounded by the projection). A Transformer block: attention branch 3
    /// (projection) + 3 (output projection), MLP branch 3 + 1 + 1 + 2, 13 in all; a ConvNeXt block: the
    /// MLP's 7. Stage 0 (three Transformer blocks, a skip dense layer between the second and the third):
    /// input convolution 3 + 26 + skip 3 + 13 + output convolution 3 = 48. Stage 1 starts from stage 0's
    /// deepest features (45) through the up-sampling projection (3), then 14 + skip 3 + 7 + output 3: 75.
    /// Norms, the time-dependent parameters and the residual sums are float32.
    static let depth = [48, 75]
    /// Higham and Mary's probabilistic bound for those depths with λ = 6 (it fails with probability at most
    /// 3.5e-8 when rounding errors are independent and of mean zero): 0.18 and 0.23. The bound does not
    /// model how the network amplifies early errors: this fixture's spread weights make attention sharp
    /// (a logit's rounding error grows with |q| |k|), so its Transformer stage reads 0.06-0.08 (the bundled
    /// Fashion-MNIST model about 0.005), within it.
    static let tolerance = depth.map { BFloat16Tolerance.probabilistic($0, lambda: 6) }
}
