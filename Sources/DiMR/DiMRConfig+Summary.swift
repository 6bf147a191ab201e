/// Per-stage facts for reports (`dimr info --preset`), computed from the configuration alone.
extension DiMRConfig {
    /// What one stage sees and produces for a given image size.
    public struct StageSummary: Sendable, Equatable {
        /// Stage index, 0 = lowest resolution.
        public let index: Int
        /// The stage's configuration.
        public let config: StageConfig
        /// Token grid (height, width) the blocks work on.
        public let grid: (height: Int, width: Int)
        /// Tokens per sample seen by the blocks (grid cells, plus one class token on conditional Transformer stages).
        public let tokens: Int
        /// Shape of the stage's prediction for one sample (channels, height, width).
        public let outputShape: [Int]
        /// Width of the features handed to the next stage (nil for the last stage).
        public let handoffWidth: Int?
        /// Parameters owned by the stage.
        public let parameterCount: Int

        /// Whether every field is equal.
        public static func == (a: StageSummary, b: StageSummary) -> Bool {
            a.index == b.index && a.config == b.config && a.grid == b.grid && a.tokens == b.tokens
                && a.outputShape == b.outputShape && a.handoffWidth == b.handoffWidth && a.parameterCount == b.parameterCount
        }
    }

    /// The stages' grids, outputs and parameter counts for `imageSize` x `imageSize` inputs.
    public func stageSummaries(imageSize: Int) -> [StageSummary] {
        let shapes = parameterShapes()
        return stageConfigs.enumerated().map { i, s in
            let side = imageSize / s.imageInputRatio / s.inputFeatureRatio
            let prefix = "stages.\(i)."
            let count = shapes.filter { $0.name.hasPrefix(prefix) }.reduce(0) { $0 + $1.shape.reduce(1, *) }
            let classToken = s.blockType == .transformer && numClasses != nil ? 1 : 0
            return StageSummary(index: i, config: s, grid: (side, side), tokens: side * side + classToken,
                                outputShape: [channels, side, side],
                                handoffWidth: i + 1 < stageConfigs.count ? s.skipWidth : nil, parameterCount: count)
        }
    }
}
