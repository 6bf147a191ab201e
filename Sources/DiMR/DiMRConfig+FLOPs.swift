/// Model FLOPs counted from the configuration alone (for achieved-GFLOP/s figures and `dimr info`).
extension DiMRConfig {
    /// Floating-point operations of one forward pass of one image, counting a multiply-add as 2 FLOPs, in
    /// the layers that do the work: convolutions (patchify, depthwise, output), Linear layers (query/key/value,
    /// attention output, the gated MLP, long-skip fusions, cascade up-sampling, AdaRMSNorm's condition) and
    /// attention's two batched products (scores `Q K^T` and `softmax(.) V`). Norms, activations, softmax,
    /// biases, position embeddings, area down-sampling and the loss are elementwise and left out.
    ///
    /// A training step (forward and backward) is conventionally 3 times this per image; gradient checkpointing
    /// recomputes the blocks' forward on top, which this "model FLOPs" convention does not count.
    ///
    /// - Parameter imageSize: input height = width in pixels (latent cells), e.g. a preset's `imageSize`; each
    ///   stage sees `imageSize / imageInputRatio / inputFeatureRatio` cells a side (integer division, as the model).
    /// - Returns: FLOPs per image, a whole number held exactly in a Double below 2^53.
    public func flopsPerForward(imageSize: Int) -> Double {
        precondition(imageSize > 0, "image size must be positive, got \(imageSize)")
        func side(_ s: StageConfig) -> Double { Double(imageSize / s.imageInputRatio / s.inputFeatureRatio) }
        /// A Linear of `inputs` -> `outputs` features applied to `rows` vectors.
        func linear(_ rows: Double, _ inputs: Int, _ outputs: Int) -> Double { 2 * rows * Double(inputs) * Double(outputs) }
        var total = 0.0
        for (i, s) in stageConfigs.enumerated() {
            let n = side(s), cells = n * n
            let classToken = s.blockType == .transformer && numClasses != nil ? 1.0 : 0
            let tokens = cells + classToken
            let dim = s.dim
            // Patchify convolution: per output cell, channels x p x p inputs to dim outputs.
            total += linear(cells, channels * s.inputFeatureRatio * s.inputFeatureRatio, dim)
            if i > 0 {
                let low = stageConfigs[i - 1]
                let ratio = s.maxHeight / low.maxHeight
                let lowSide = side(low)
                total += linear(lowSide * lowSide, low.skipWidth, dim * ratio * ratio)
            }
            // AdaRMSNorm scales by a Linear (dim -> dim) of the first row: one token, or one image row (n cells).
            let normFLOPs = normType == .adaptiveRMSNorm ? linear(s.blockType == .transformer ? 1 : n, dim, dim) : 0
            let mlp = normFLOPs + 2 * linear(tokens, dim, s.hiddenDim) + linear(tokens, s.hiddenDim, dim)
            let mixing: Double
            switch s.blockType {
            case .transformer:
                // q, k, v projection; scores and weighted values over all heads (tokens^2 x dim each); output.
                mixing = normFLOPs + linear(tokens, dim, 3 * dim) + 2 * (2 * tokens * tokens * Double(dim)) + linear(tokens, dim, dim)
            case .convNeXt:
                let k = Double(s.kernelSize ?? 0)
                mixing = 2 * cells * Double(dim) * k * k
            }
            total += Double(s.builtBlocks) * (mixing + mlp)
            total += Double(s.numBlocks / 2) * linear(tokens, 2 * dim, dim)
            // Output convolution: per cell, dim x f x f inputs to the image channels.
            total += linear(cells, dim * s.finalKernelSize * s.finalKernelSize, channels)
        }
        return total
    }
}
