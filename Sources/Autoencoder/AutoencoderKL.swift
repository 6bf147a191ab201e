import NN
import Torch

/// The KL autoencoder of latent diffusion (Stable Diffusion's KL-f8 for `AutoencoderConfig.stableDiffusionKLF8`):
/// images to diagonal-Gaussian posterior moments, a scaled posterior sample as the diffusion latent, and latents
/// back to images. The autoencoder is frozen: every method runs without autograd history.
///
/// Parameter names are the reference state dict's (`encoder.down.0.block.0.norm1.weight`, `decoder.up.3.upsample.conv.bias`,
/// `quant_conv.weight`, ...), so the authors' `autoencoder_kl*.pth` weights load with `loadStateDict`.
public final class AutoencoderKL: Module, @unchecked Sendable {
    /// The configuration the model was built from.
    public let config: AutoencoderConfig
    /// Images to 2 `z_channels` moments.
    public let encoder: VAEEncoder
    /// `z_channels` latents to images.
    public let decoder: VAEDecoder
    /// 1 x 1 convolution from 2 `z_channels` to 2 `embed_dim` (`quant_conv`).
    let quantConv: Conv2d
    /// 1 x 1 convolution from `embed_dim` to `z_channels` (`post_quant_conv`).
    let postQuantConv: Conv2d

    /// Builds the autoencoder in evaluation mode, after validating `config`.
    ///
    /// - Parameters:
    ///   - initializeWeights: false leaves every convolution uninitialised (no random draws, no memory touched;
    ///     GroupNorms are ones and zeros), for a model whose weights a file will replace; true gives PyTorch's
    ///     default initialisation, drawn in the reference's order of construction.
    ///   - generator: the generator of that initialisation (libtorch's default one when nil).
    /// - Throws: `AutoencoderError` for an invalid configuration.
    public init(config: AutoencoderConfig, initializeWeights: Bool = true, generator: Generator? = nil) throws {
        try config.validate()
        self.config = config
        let layers = LayerBuilder(initialize: initializeWeights, generator: generator)
        encoder = try VAEEncoder(config, layers: layers)
        decoder = try VAEDecoder(config, layers: layers)
        quantConv = try layers.conv(2 * config.zChannels, 2 * config.embedDim, kernel: 1)
        postQuantConv = try layers.conv(config.embedDim, config.zChannels, kernel: 1)
        super.init()
        register("encoder", encoder)
        register("decoder", decoder)
        register("quant_conv", quantConv)
        register("post_quant_conv", postQuantConv)
        eval()
    }

    /// Builds the autoencoder without initialising it and loads `weights` strictly (every name of the reference
    /// state dict, nothing else, each of the right shape), converting their dtype to float32.
    /// - Throws: `AutoencoderError` listing the missing, unexpected and wrongly shaped names, or for an invalid configuration.
    public convenience init(config: AutoencoderConfig, weights: [String: Tensor]) throws {
        try self.init(config: config, initializeWeights: false)
        do {
            try loadStateDict(weights)
        } catch let error as TorchError {
            throw AutoencoderError("autoencoder weights do not fit the configuration: \(error.message)")
        }
    }

    /// The posterior moments of `images`: encoder then `quant_conv`.
    ///
    /// - Parameter images: (B, in_channels, H, W) in [-1, 1], H and W positive multiples of the down-sampling
    ///   factor f = 2^(levels - 1) (8 for KL-f8), in the weights' dtype.
    /// - Returns: (B, 2 embed_dim, H / f, W / f): the mean in the first `embed_dim` channels, the log-variance in the rest.
    /// - Throws: `AutoencoderError` for a wrong rank, channel count, dtype or side.
    public func encodeMoments(_ images: Tensor) throws -> Tensor {
        try checkImages(images)
        return try withNoGrad { try quantConv(encoder(images)) }
    }

    /// The diffusion latent of a posterior sample: scale_factor * (mean + exp(0.5 clamp(logvar, -30, 20)) * noise).
    ///
    /// - Parameters:
    ///   - moments: (B, 2 embed_dim, h, w) from `encodeMoments`.
    ///   - noise: standard normal noise of shape (B, embed_dim, h, w).
    /// - Returns: (B, embed_dim, h, w), of standard deviation near 1 for Stable Diffusion's weights and images.
    /// - Throws: `AutoencoderError` when the shapes do not match.
    public func latent(moments: Tensor, noise: Tensor) throws -> Tensor {
        guard moments.rank == 4, moments.size(1) == 2 * config.embedDim else {
            throw AutoencoderError("autoencoder moments must be (B, \(2 * config.embedDim), h, w), got \(moments.shape)")
        }
        return try Self.posteriorSample(moments: moments, noise: noise, scaleFactor: config.scaleFactor)
    }

    /// A sample of the encoder's diagonal Gaussian, scaled for diffusion: `scaleFactor * (mean +
    /// exp(0.5 clamp(logvar, -30, 20)) * noise)`, for moments (B, 2E, h, w) = mean and log-variance.
    ///
    /// - Throws: `AutoencoderError` when the shapes do not match.
    public static func posteriorSample(moments: Tensor, noise: Tensor, scaleFactor: Double) throws -> Tensor {
        guard moments.rank == 4, moments.size(1) % 2 == 0 else {
            throw AutoencoderError("autoencoder moments must be (B, 2 * channels, h, w), got \(moments.shape)")
        }
        let e = moments.size(1) / 2
        guard moments.dtype.isFloatingPoint else {
            throw AutoencoderError("autoencoder moments must be floating-point (B, \(2 * e), h, w), got \(moments.dtype) \(moments.shape)")
        }
        let expected = [moments.size(0), e, moments.size(2), moments.size(3)]
        guard noise.shape == expected, noise.dtype == moments.dtype else {
            throw AutoencoderError("autoencoder noise must be \(moments.dtype) \(expected) for moments \(moments.shape), got \(noise.dtype) \(noise.shape)")
        }
        return try withNoGrad {
            let halves = try moments.chunk(2, dim: 1)  // mean, logvar: (B, embed_dim, h, w) each
            let std = try (halves[1].clamp(min: -30, max: 20) * 0.5).exp()
            return try (halves[0] + std * noise) * scaleFactor
        }
    }

    /// Images from diffusion latents: decoder(post_quant_conv(latent / scale_factor)).
    ///
    /// - Parameter latent: (B, embed_dim, h, w) in the weights' dtype, h and w positive.
    /// - Returns: (B, out_ch, f h, f w), images in about [-1, 1] (not clamped; in [-1, 1] with `tanh_out`).
    /// - Throws: `AutoencoderError` for a wrong rank, channel count or dtype.
    public func decode(_ latent: Tensor) throws -> Tensor {
        let dtype = quantConv.weight.tensor.dtype
        guard latent.rank == 4, latent.size(1) == config.embedDim, latent.size(0) > 0, latent.size(2) > 0,
              latent.size(3) > 0, latent.dtype == dtype else {
            throw AutoencoderError("autoencoder latents must be \(dtype) (B, \(config.embedDim), h, w) with B, h, w positive, "
                                   + "got \(latent.dtype) \(latent.shape)")
        }
        return try withNoGrad { try decoder(postQuantConv(latent * (1 / config.scaleFactor))) }
    }

    /// The diffusion latent of `images` for the given noise: `latent(moments: encodeMoments(images), noise:)`.
    public func encode(_ images: Tensor, noise: Tensor) throws -> Tensor {
        try latent(moments: encodeMoments(images), noise: noise)
    }

    private func checkImages(_ images: Tensor) throws {
        let (c, f) = (config.inChannels, config.downsamplingFactor)
        let dtype = quantConv.weight.tensor.dtype
        guard images.rank == 4, images.size(1) == c, images.size(0) > 0 else {
            throw AutoencoderError("autoencoder input must be images (B, \(c), H, W) with B positive, got shape \(images.shape)")
        }
        let (h, w) = (images.size(2), images.size(3))
        guard h > 0, w > 0, h % f == 0, w % f == 0 else {
            throw AutoencoderError("autoencoder input side \(h) x \(w) is not a positive multiple of \(f), the down-sampling factor")
        }
        guard images.dtype == dtype else {
            throw AutoencoderError("autoencoder input is \(images.dtype), the weights are \(dtype); convert the images first")
        }
    }
}
