/// DiT baselines sized for the Fashion-MNIST study (docs/RESULTS.md): about the training compute per image
/// of the DiMR preset `fmnist-3r` (267 MFLOP per forward), at patch 2 and patch 4 on 1x32x32 images.
extension DiTConfig {
    /// Patch 2 (256 tokens of 64): 6 blocks, 4 heads; 478,340 parameters, 252 MFLOP per forward.
    public static let fashionMNISTPatch2 = DiTConfig(channels: 1, numClasses: 11, inputSize: 32, patchSize: 2,
                                                      hiddenSize: 64, depth: 6, numHeads: 4)
    /// Patch 4 (64 tokens of 128): 10 blocks, 4 heads; 3,056,400 parameters, 275 MFLOP per forward.
    public static let fashionMNISTPatch4 = DiTConfig(channels: 1, numClasses: 11, inputSize: 32, patchSize: 4,
                                                      hiddenSize: 128, depth: 10, numHeads: 4)
}
