/// Parameter and FLOP counts of a DiT, from its configuration alone.
extension DiTConfig {
    /// Trainable parameters (the fixed position embedding is not one).
    public var parameterCount: Int {
        let d = hiddenSize, m = mlpHiddenSize
        let patchEmbed = channels * patchSize * patchSize * d + d
        let timestep = frequencyEmbeddingSize * d + d + d * d + d
        let labels = numClasses * d
        let attention = d * 3 * d + 3 * d + d * d + d
        let mlp = d * m + m + m * d + d
        let modulation = d * 6 * d + 6 * d
        let final = d * 2 * d + 2 * d + d * patchValues + patchValues
        return patchEmbed + timestep + labels + depth * (attention + mlp + modulation) + final
    }

    /// Floating-point operations of one forward pass of one image (a multiply-add counts 2), in the layers that
    /// do the work, counted as `DiMRConfig.flopsPerForward` counts them: the patch embedding, every Linear layer
    /// (query/key/value, attention output, MLP, the adaLN-Zero modulations, the timestep MLP, the final layer)
    /// and attention's two batched products. Norms, activations, softmax and biases are left out.
    /// A training step is about 3 times this per image.
    public var flopsPerForward: Double {
        func linear(_ rows: Double, _ inputs: Int, _ outputs: Int) -> Double { 2 * rows * Double(inputs) * Double(outputs) }
        let t = Double(tokenCount), d = hiddenSize
        var total = linear(t, channels * patchSize * patchSize, d)                        // patch embedding
        total += linear(1, frequencyEmbeddingSize, d) + linear(1, d, d)                   // timestep MLP
        let block = linear(1, d, 6 * d)                                                   // adaLN-Zero modulation
            + linear(t, d, 3 * d) + 2 * (2 * t * t * Double(d)) + linear(t, d, d)         // attention
            + linear(t, d, mlpHiddenSize) + linear(t, mlpHiddenSize, d)                   // MLP
        total += Double(depth) * block
        total += linear(1, d, 2 * d) + linear(t, d, patchValues)                          // final layer
        return total
    }
}
