import Autoencoder
import Torch

/// Checks the autoencoder against a fixture of the authors' numbers: the encoder moments of `input.image`, the
/// latent drawn from them with `input.noise`, and the decoding of that latent, each within 1e-5 relative error
/// (max |ours - ref| / max |ref|).
public enum AutoencoderParity {
    /// Tolerance of each comparison.
    public static let tolerance = 1e-5

    /// A one-line description of the fixture's model, e.g. for a report's header.
    public static func summary(_ fixture: AutoencoderFixture) -> String {
        let c = fixture.config
        let attention = c.attnResolutions.isEmpty ? "middle only" : "middle and at \(c.attnResolutions) of \(c.resolution ?? 0)"
        return "KL autoencoder: ch \(c.ch), ch_mult \(c.chMult), num_res_blocks \(c.numResBlocks), "
            + "z_channels \(c.zChannels), embed_dim \(c.embedDim), \(c.attnType.rawValue) attention \(attention), "
            + "down-sampling by \(c.downsamplingFactor), scale_factor \(c.scaleFactor)"
    }

    /// Runs the three comparisons, each its own group: moments, latent (from our moments), decoded (from our latent).
    /// - Throws: `PipelineError` naming the fixture and key for missing or malformed tensors or weights that do not fit.
    public static func run(_ fixture: AutoencoderFixture) throws -> [ParityGroup] {
        let model = try fixture.makeModel()
        let image = try fixture.tensor("input.image"), noise = try fixture.tensor("input.noise")
        func compare(_ ours: Tensor, _ key: String) throws -> ParityGroup {
            let reference = try fixture.tensor(key)
            guard ours.shape == reference.shape else {
                throw PipelineError("fixture \(fixture.path): our \(key) has shape \(ours.shape), the reference \(reference.shape)")
            }
            let comparison = try ModelParity.relativeError(ours, reference, key: key)
            return ParityGroup(name: String(key.dropFirst("output.".count)), tolerance: tolerance, comparisons: [comparison])
        }
        do {
            let moments = try model.encodeMoments(image)
            let latent = try model.latent(moments: moments, noise: noise)
            let decoded = try model.decode(latent)
            return [try compare(moments, "output.moments"), try compare(latent, "output.latent"), try compare(decoded, "output.decoded")]
        } catch let error as AutoencoderError {
            throw PipelineError("fixture \(fixture.path): \(error.message)")
        }
    }
}
