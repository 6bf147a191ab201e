import DiMR
import DiT
import Foundation
import Pipeline

/// Text report of a model configuration: parameter count, FLOPs and per-stage (or per-block) shapes.
enum ModelInfo {
    /// The lines `dimr info --preset NAME` prints.
    static func lines(for preset: NetworkPreset) -> [String] {
        ["preset: \(preset.name) (\(preset.summary))"]
            + lines(for: preset.config, imageSize: preset.imageSize)
            + ["loss coefficients: \(preset.lossCoefficients.map { String($0) }.joined(separator: ", "))"]
    }

    /// The lines describing `config` at `imageSize` (`dimr info --config FILE` prints them).
    static func lines(for config: NetworkConfig, imageSize: Int) -> [String] {
        let flops = "forward: \(String(format: "%.1f", config.flopsPerForward(imageSize: imageSize) / 1e6)) MFLOP per image "
            + "(convolutions, Linear layers, attention; about 3x per training image)"
        switch config {
        case .dimr(let c): return dimrLines(c, imageSize: imageSize, flops: flops)
        case .dit(let c):
            return [
                "model: \(config.architecture)",
                "input: \(c.channels)x\(c.inputSize)x\(c.inputSize), classes: \(c.numClasses) (with the null class), "
                    + "\(c.tokenCount) tokens of \(c.hiddenSize), MLP \(c.mlpHiddenSize)",
                "parameters: \(c.parameterCount.formatted()) (the sine-cosine position embedding is fixed)",
                flops,
            ]
        }
    }

    private static func dimrLines(_ config: DiMRConfig, imageSize: Int, flops: String) -> [String] {
        var out = [
            "input: \(config.channels)x\(imageSize)x\(imageSize), classes: \(config.numClasses.map(String.init) ?? "none"), "
                + "norm: \(config.normType.rawValue), gradient to lower stages: \(config.blockGradToLowres ? "blocked" : "passed")",
            "parameters: \(config.parameterCount.formatted()) in \(config.stateDictCount.formatted()) state-dict entries",
            flops,
        ]
        for s in config.stageSummaries(imageSize: imageSize) {
            let c = s.config
            let detail = c.blockType == .transformer ? "\(c.numAttentionHeads ?? 0) heads" : "kernel \(c.kernelSize ?? 0)"
            out.append("stage \(s.index): \(c.blockType.rawValue) x \(c.builtBlocks) (num_blocks \(c.numBlocks)), dim \(c.dim), "
                       + "MLP \(c.hiddenDim), \(detail)")
            out.append("  input: image / \(c.imageInputRatio), patch \(c.inputFeatureRatio) -> grid \(s.grid.height)x\(s.grid.width), "
                       + "\(s.tokens) tokens of \(c.dim)")
            out.append("  output: \(s.outputShape.map(String.init).joined(separator: "x"))"
                       + (s.handoffWidth.map { ", hands \($0) channels up" } ?? "")
                       + ", \(s.parameterCount.formatted()) parameters")
        }
        return out
    }

    /// The lines `dimr info --presets` prints: one per preset with its input, parameters, FLOPs and default recipe.
    static func presetList() -> [String] {
        let width = NetworkPreset.all.map(\.name.count).max() ?? 0
        return NetworkPreset.all.map { p in
            let c = p.config
            let shape: String
            switch c {
            case .dimr(let d): shape = "\(d.stageConfigs.count) stages"
            case .dit(let d): shape = "DiT patch \(d.patchSize)"
            }
            return p.name.padding(toLength: width, withPad: " ", startingAt: 0)
                + "  \(c.channels)x\(p.imageSize)x\(p.imageSize), \(shape), \(c.parameterCount.formatted()) parameters, "
                + "\(String(format: "%.1f", c.flopsPerForward(imageSize: p.imageSize) / 1e6)) MFLOP, "
                + "recipe \(TrainingRecipe.defaultRecipe(forPreset: p.name).rawValue): \(p.summary)"
        }
    }
}
