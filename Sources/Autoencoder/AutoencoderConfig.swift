import Foundation
import NN

/// The configuration of a KL autoencoder: the authors' `ddconfig` fields plus `embed_dim` and `scale_factor`,
/// decoded from and encoded to their JSON field names.
///
/// Fields the authors' constructors give defaults keep them when absent: `ch_mult` [1, 2, 4, 8], `double_z`
/// true, `dropout` 0, `resamp_with_conv` true, `attn_type` `vanilla` (`use_linear_attn` true means `linear`),
/// `tanh_out` false, `scale_factor` 0.18215. `resolution` only places attention, so it may be absent when
/// `attn_resolutions` is empty. Other keys are ignored, as the authors' `**ignore_kwargs` does.
public struct AutoencoderConfig: JSONConfiguration, Sendable, Equatable {
    /// Channels of the first level (`ch`); level i has `ch * ch_mult[i]`.
    public var ch: Int
    /// Channel multiplier per level (`ch_mult`); every level but the last halves the side.
    public var chMult: [Int]
    /// ResNet blocks per encoder level (`num_res_blocks`); decoder levels have one more.
    public var numResBlocks: Int
    /// Channels of the encoder output half and of the decoder input (`z_channels`).
    public var zChannels: Int
    /// Image channels read by the encoder (`in_channels`).
    public var inChannels: Int
    /// Image channels written by the decoder (`out_ch`).
    public var outCh: Int
    /// Whether the encoder outputs mean and log-variance (`double_z`); the KL autoencoder needs true.
    public var doubleZ: Bool
    /// Sides (in the reference `resolution`'s units) at which levels add attention after each ResNet block.
    public var attnResolutions: [Int]
    /// The side the attention placement counts from (`resolution`); nil when `attnResolutions` is empty.
    public var resolution: Int?
    /// Dropout in the ResNet blocks (training only; the autoencoder runs in evaluation mode).
    public var dropout: Double
    /// Whether down- and up-sampling use a convolution (`resamp_with_conv`) or average pooling / plain nearest.
    public var resampWithConv: Bool
    /// The attention block kind (`attn_type`, or `linear` when `use_linear_attn`).
    public var attnType: AttentionType
    /// Whether the decoder ends with tanh (`tanh_out`).
    public var tanhOut: Bool
    /// Latent channels (`embed_dim`): `quant_conv` maps 2 `z_channels` to 2 `embed_dim`.
    public var embedDim: Int
    /// Multiplies the posterior sample to make the diffusion latent (`scale_factor`, 0.18215 for Stable Diffusion).
    public var scaleFactor: Double

    enum CodingKeys: String, CodingKey {
        case ch, chMult = "ch_mult", numResBlocks = "num_res_blocks", zChannels = "z_channels"
        case inChannels = "in_channels", outCh = "out_ch", doubleZ = "double_z", attnResolutions = "attn_resolutions"
        case resolution, dropout, resampWithConv = "resamp_with_conv", attnType = "attn_type"
        case useLinearAttn = "use_linear_attn", tanhOut = "tanh_out", givePreEnd = "give_pre_end"
        case embedDim = "embed_dim", scaleFactor = "scale_factor"
    }

    /// A configuration from its fields (the authors' defaults for the optional ones).
    public init(ch: Int, chMult: [Int], numResBlocks: Int, zChannels: Int, inChannels: Int = 3, outCh: Int = 3,
                doubleZ: Bool = true, attnResolutions: [Int] = [], resolution: Int? = nil, dropout: Double = 0,
                resampWithConv: Bool = true, attnType: AttentionType = .vanilla, tanhOut: Bool = false,
                embedDim: Int, scaleFactor: Double = 0.18215) {
        self.ch = ch
        self.chMult = chMult
        self.numResBlocks = numResBlocks
        self.zChannels = zChannels
        self.inChannels = inChannels
        self.outCh = outCh
        self.doubleZ = doubleZ
        self.attnResolutions = attnResolutions
        self.resolution = resolution
        self.dropout = dropout
        self.resampWithConv = resampWithConv
        self.attnType = attnType
        self.tanhOut = tanhOut
        self.embedDim = embedDim
        self.scaleFactor = scaleFactor
    }

    /// Stable Diffusion's KL-f8 autoencoder as the authors configure it (`get_model` in `libs/autoencoder.py`):
    /// 3-channel 256-pixel images to 4-channel latents of an eighth of the side, about 83.7 million parameters.
    public static let stableDiffusionKLF8 = AutoencoderConfig(
        ch: 128, chMult: [1, 2, 4, 4], numResBlocks: 2, zChannels: 4, inChannels: 3, outCh: 3, doubleZ: true,
        attnResolutions: [], resolution: 256, dropout: 0, embedDim: 4, scaleFactor: 0.18215)

    /// Decodes the authors' fields with their defaults (see the type's summary).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ch = try c.decode(Int.self, forKey: .ch)
        chMult = try c.decodeIfPresent([Int].self, forKey: .chMult) ?? [1, 2, 4, 8]
        numResBlocks = try c.decode(Int.self, forKey: .numResBlocks)
        zChannels = try c.decode(Int.self, forKey: .zChannels)
        inChannels = try c.decode(Int.self, forKey: .inChannels)
        outCh = try c.decode(Int.self, forKey: .outCh)
        doubleZ = try c.decodeIfPresent(Bool.self, forKey: .doubleZ) ?? true
        attnResolutions = try c.decode([Int].self, forKey: .attnResolutions)
        resolution = try c.decodeIfPresent(Int.self, forKey: .resolution)
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? 0
        resampWithConv = try c.decodeIfPresent(Bool.self, forKey: .resampWithConv) ?? true
        attnType = try c.decodeIfPresent(AttentionType.self, forKey: .attnType) ?? .vanilla
        if try c.decodeIfPresent(Bool.self, forKey: .useLinearAttn) == true { attnType = .linear }
        tanhOut = try c.decodeIfPresent(Bool.self, forKey: .tanhOut) ?? false
        if try c.decodeIfPresent(Bool.self, forKey: .givePreEnd) == true {
            throw AutoencoderError("give_pre_end true is not supported: the decoder here always ends in out_ch image channels")
        }
        embedDim = try c.decode(Int.self, forKey: .embedDim)
        scaleFactor = try c.decodeIfPresent(Double.self, forKey: .scaleFactor) ?? 0.18215
    }

    /// Encodes every field under the authors' names (`attn_type` rather than `use_linear_attn`).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ch, forKey: .ch)
        try c.encode(chMult, forKey: .chMult)
        try c.encode(numResBlocks, forKey: .numResBlocks)
        try c.encode(zChannels, forKey: .zChannels)
        try c.encode(inChannels, forKey: .inChannels)
        try c.encode(outCh, forKey: .outCh)
        try c.encode(doubleZ, forKey: .doubleZ)
        try c.encode(attnResolutions, forKey: .attnResolutions)
        try c.encodeIfPresent(resolution, forKey: .resolution)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(resampWithConv, forKey: .resampWithConv)
        try c.encode(attnType, forKey: .attnType)
        try c.encode(tanhOut, forKey: .tanhOut)
        try c.encode(embedDim, forKey: .embedDim)
        try c.encode(scaleFactor, forKey: .scaleFactor)
    }

    /// The error for JSON that does not decode (`JSONConfiguration.fromJSON`, which reads the `ddconfig` fields and
    /// `embed_dim`, optionally `scale_factor`, and validates them).
    public static func invalidJSON(_ reason: String) -> any Error {
        AutoencoderError("invalid autoencoder configuration JSON: \(reason)")
    }

    /// Decodes and validates the authors' `ddconfig` JSON with `embed_dim` and `scale_factor` given apart, as
    /// `FrozenAutoencoderKL(ddconfig, embed_dim, ..., scale_factor)` takes them.
    public static func fromDDConfig(_ ddconfig: String, embedDim: Int, scaleFactor: Double) throws -> AutoencoderConfig {
        guard var fields = (try? JSONSerialization.jsonObject(with: Data(ddconfig.utf8))) as? [String: Any] else {
            throw AutoencoderError("invalid autoencoder configuration: ddconfig is not a JSON object")
        }
        fields["embed_dim"] = embedDim
        fields["scale_factor"] = scaleFactor
        let merged = try JSONSerialization.data(withJSONObject: fields)
        return try fromJSON(String(decoding: merged, as: UTF8.self))
    }
}
