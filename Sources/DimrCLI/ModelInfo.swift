import DiMR
import Foundation
import Pipeline

/// Text report of a model configuration: parameter count and per-stage shapes.
enum ModelInfo {
    /// The lines `dimr info --preset NAME` prints.
    static func lines(for preset: DiMRConfig.Preset) -> [String] {
        let config = preset.config
        var out = [
            "preset: \(preset.name) (\(preset.summary))",
            "input: \(config.channels)x\(preset.imageSize)x\(preset.imageSize), classes: \(config.numClasses.map(String.init) ?? "none"), "
                + "norm: \(config.normType.rawValue), gradient to lower stages: \(config.blockGradToLowres ? "blocked" : "passed")",
            "parameters: \(config.parameterCount.formatted()) in \(config.stateDictCount.formatted()) state-dict entries",
            "forward: \(String(format: "%.1f", config.flopsPerForward(imageSize: preset.imageSize) / 1e6)) MFLOP per image "
                + "(convolutions, Linear layers, attention; about 3x per training image)",
            "loss coefficients: \(preset.lossCoefficients.map { String($0) }.joined(separator: ", "))",
        ]
        for s in config.stageSummaries(imageSize: preset.imageSize) {
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

    /// The lines `dimr info --presets` prints: one per preset with its input, parameters and default recipe.
    static func presetList() -> [String] {
        let width = DiMRConfig.presets.map(\.name.count).max() ?? 0
        return DiMRConfig.presets.map { p in
            let c = p.config
            return p.name.padding(toLength: width, withPad: " ", startingAt: 0)
                + "  \(c.channels)x\(p.imageSize)x\(p.imageSize), \(c.stageConfigs.count) stages, \(c.parameterCount.formatted()) parameters, "
                + "recipe \(TrainingRecipe.defaultRecipe(forPreset: p.name).rawValue): \(p.summary)"
        }
    }
}
