import Torch

/// A class-conditional network that predicts noise at one or more resolutions.
///
/// The loss and the samplers work on anything behind this protocol, so a DiMR cascade and a
/// single-resolution baseline reuse them unchanged.
public protocol DenoisingNetwork: AnyObject {
    /// Predictions, one per output resolution, lowest first.
    /// - Parameters:
    ///   - x: noisy images (B, C, H, W) at the full resolution.
    ///   - logSNR: the time condition per sample (B), `n / 1000 * 8 - 4` in the authors' recipe.
    ///   - classes: class indices (B), int64; the last class index means "no class".
    /// - Returns: noise predictions (B, C, H / r, W / r), lowest resolution first, the last at full size.
    func predict(_ x: Tensor, logSNR: Tensor, classes: Tensor) throws -> [Tensor]
}
