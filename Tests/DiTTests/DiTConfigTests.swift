import DiT
import Foundation
import NN
import Testing
import Torch

@Suite("DiT configuration")
struct DiTConfigTests {
    @Test("JSON round trip keeps every field; missing optional fields take the reference's defaults")
    func json() throws {
        let config = DiTConfig.fashionMNISTPatch4
        #expect(try DiTConfig.fromJSON(config.toJSON()) == config)
        let minimal = #"{"model_type":"DiT","channels":1,"num_classes":11,"input_size":32,"patch_size":2,"hidden_size":64,"depth":6,"num_heads":4}"#
        #expect(try DiTConfig.fromJSON(minimal) == DiTConfig.fashionMNISTPatch2)
    }

    @Test("bad configurations are refused naming the field",
          arguments: [
            (#""patch_size":3"#, "input_size 32 is not a multiple of patch_size 3"),
            (#""num_heads":5"#, "not divisible by num_heads 5"),
            (#""depth":0"#, "depth must be in"),
            (#""num_classes":1"#, "num_classes must count"),
            (#""hidden_size":1000000000"#, "hidden_size must be in"),
            (#""model_type":"DiMR""#, "model_type must be DiT"),
            (#""mlp_ratio":-1"#, "mlp_ratio"),
          ])
    func refused(field: String, message: String) throws {
        let key = String(field.split(separator: ":")[0])
        var object = try #require(JSONSerialization.jsonObject(with: Data(DiTConfig.fashionMNISTPatch2.toJSON().utf8)) as? [String: Any])
        let value = try JSONSerialization.jsonObject(with: Data("{\(field)}".utf8)) as? [String: Any]
        object[String(key.dropFirst().dropLast())] = value?.values.first
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect {
            _ = try DiTConfig.fromJSON(text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("the presets are about fmnist-3r's 267 MFLOP per forward")
    func presets() {
        for preset in [DiTConfig.fashionMNISTPatch2, DiTConfig.fashionMNISTPatch4] {
            #expect(abs(preset.flopsPerForward / 267.3e6 - 1) < 0.1, "\(preset.flopsPerForward)")
        }
    }

    @Test("a wrong input shape or class tensor is an error, not a trap")
    func badInputs() throws {
        let config = DiTConfig(channels: 1, numClasses: 4, inputSize: 8, patchSize: 2, hiddenSize: 32, depth: 1, numHeads: 4)
        let model = try DiTModel(config: config, generator: Generator(seed: 0))
        let t = try Tensor([Float(10), 20])
        let y = try Tensor([Int64(0), 1])
        #expect(throws: DiTError.self) { try model.forward(Tensor.zeros([2, 1, 16, 16]), timesteps: t, classes: y) }
        #expect(throws: DiTError.self) { try model.forward(Tensor.zeros([2, 1, 8, 8]), timesteps: t, classes: Tensor([Int64(0)])) }
        #expect(throws: DiTError.self) { try model.forward(Tensor.zeros([2, 1, 8, 8]), timesteps: Tensor([Float(1), 2, 3]), classes: y) }
    }

    @Test("adaLN-Zero: a freshly initialised DiT predicts zero noise (modulations and final layer start at zero)")
    func zeroInit() throws {
        let config = DiTConfig(channels: 1, numClasses: 4, inputSize: 8, patchSize: 2, hiddenSize: 32, depth: 2, numHeads: 4)
        let model = try DiTModel(config: config, generator: Generator(seed: 3))
        let x = try Tensor.randn([3, 1, 8, 8], generator: Generator(seed: 4))
        let out = try withNoGrad { try model.forward(x, timesteps: Tensor([Float(5), 500, 900]), classes: Tensor([Int64(0), 1, 3])) }
        #expect(try out.abs().max().item() == 0)
    }
}
