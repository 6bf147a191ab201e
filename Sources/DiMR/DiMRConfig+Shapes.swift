/// State-dict names and shapes computed from the configuration alone, without building the network
/// (the XL and G models need 2 and 4 GB of float32 weights). Mirrors the module tree in registration order.
extension DiMRConfig {
    /// Every state-dict entry (all of them parameters) with its shape, in the model's registration order.
    public func parameterShapes() -> [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = []
        func tdp(_ p: String, _ shape: [Int]) {
            for n in ["param0", "param1", "nodecay_weight", "nodecay_bias"] { out.append((p + "." + n, shape)) }
        }
        func layerNorm(_ p: String, _ dim: Int) {
            tdp(p + ".weight", [dim])
            tdp(p + ".bias", [dim])
        }
        func linear(_ p: String, _ inDim: Int, _ outDim: Int, bias: Bool = true) {
            out.append((p + ".weight", [outDim, inDim]))
            if bias { out.append((p + ".bias", [outDim])) }
        }
        func conv(_ p: String, _ inC: Int, _ outC: Int, _ k: Int, groups: Int = 1) {
            out.append((p + ".weight", [outC, inC / groups, k, k]))
            out.append((p + ".bias", [outC]))
        }
        func norm(_ p: String, _ dim: Int) {
            switch normType {
            case .layerNorm: layerNorm(p, dim)
            case .rmsNorm: out.append((p + ".scale", [dim]))
            case .timeDependentRMSNorm: tdp(p + ".scale", [dim])
            case .adaptiveRMSNorm: out.append((p + ".linear.weight", [dim, dim]))
            }
        }
        func mlp(_ p: String, _ s: StageConfig) {
            norm(p + ".norm", s.dim)
            linear(p + ".w0", s.dim, s.hiddenDim)
            linear(p + ".w1", s.dim, s.hiddenDim)
            linear(p + ".w2", s.hiddenDim, s.dim)
        }
        for (i, s) in stageConfigs.enumerated() {
            let p = "stages.\(i)"
            conv(p + ".input_layer.1", channels, s.dim, s.inputFeatureRatio)
            out.append((p + ".input_layer.3.position_embeddings.weight", [s.maxHeight * s.maxWidth, s.dim]))
            if s.blockType == .transformer, let n = numClasses { out.append((p + ".class_embeds.weight", [n, s.dim])) }
            if i > 0 {
                let low = stageConfigs[i - 1]
                let ratio = s.maxHeight / low.maxHeight
                layerNorm(p + ".upsample.0", low.skipWidth)
                linear(p + ".upsample.1.kernel", low.skipWidth, s.dim * ratio * ratio)
                layerNorm(p + ".upsample.2", s.dim)
            }
            for b in 0..<s.builtBlocks {
                let q = p + ".blocks.\(b)"
                switch s.blockType {
                case .transformer:
                    norm(q + ".block1.norm", s.dim)
                    linear(q + ".block1.query_key_value", s.dim, 3 * s.dim, bias: false)
                    linear(q + ".block1.dense", s.dim, s.dim)
                case .convNeXt:
                    conv(q + ".block1.1", s.dim, s.dim, s.kernelSize ?? 0, groups: s.dim)
                }
                mlp(q + ".block2", s)
            }
            for j in 0..<(s.numBlocks / 2) { linear(p + ".skip_denses.\(j)", 2 * s.dim, s.dim) }
            layerNorm(p + ".output_layer.0", s.dim)
            conv(p + ".output_layer.2", s.dim, channels, s.finalKernelSize)
        }
        return out
    }

    /// Number of parameters (elements), from `parameterShapes()`.
    public var parameterCount: Int { parameterShapes().reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// Number of state-dict entries, from `parameterShapes()`.
    public var stateDictCount: Int { parameterShapes().count }
}
