/// Validation and the layout a configuration implies (levels, channels, attention placement).
extension AutoencoderConfig {
    /// GroupNorm groups of every normalisation (the reference's `Normalize`).
    public static let normGroups = 32
    /// GroupNorm epsilon of every normalisation.
    public static let normEps = 1e-6
    /// Largest channel count accepted for any layer (Stable Diffusion's widest is 512).
    public static let maxChannels = 1 << 16
    /// Largest number of levels accepted (down-sampling by up to 2^15).
    public static let maxLevels = 16
    /// Largest number of ResNet blocks per level accepted.
    public static let maxResBlocks = 64

    /// Number of resolution levels (`len(ch_mult)`).
    public var levels: Int { chMult.count }

    /// The side reduction between images and latents: 2^(levels - 1) (8 for KL-f8).
    public var downsamplingFactor: Int { 1 << (levels - 1) }

    /// Output channels of the ResNet blocks of level `level`: `ch * ch_mult[level]`.
    public func channels(atLevel level: Int) -> Int { ch * chMult[level] }

    /// Input channels of level `level`'s first encoder block: `ch * (1, ch_mult...)[level]`, as the reference counts.
    func encoderInputChannels(atLevel level: Int) -> Int { level == 0 ? ch : ch * chMult[level - 1] }

    /// Which encoder levels add attention: the reference starts at `resolution` and halves it (rounding down)
    /// after every level but the last, adding attention where the side is in `attn_resolutions`.
    public var encoderAttentionLevels: [Bool] {
        guard let resolution, !attnResolutions.isEmpty else { return Array(repeating: false, count: levels) }
        var side = resolution
        var out: [Bool] = []
        for level in 0..<levels {
            out.append(attnResolutions.contains(side))
            if level != levels - 1 { side /= 2 }
        }
        return out
    }

    /// Which decoder levels add attention: the reference starts at `resolution / 2^(levels - 1)` (rounded down)
    /// at the last level and doubles it on the way up, so for sides that are not powers of two it can differ from
    /// the encoder's placement.
    public var decoderAttentionLevels: [Bool] {
        guard let resolution, !attnResolutions.isEmpty else { return Array(repeating: false, count: levels) }
        var side = resolution >> (levels - 1)
        var out = Array(repeating: false, count: levels)
        for level in stride(from: levels - 1, through: 0, by: -1) {
            out[level] = attnResolutions.contains(side)
            if level != 0 { side *= 2 }
        }
        return out
    }

    /// Checks every field before anything is built; throws `AutoencoderError` naming the offending field.
    public func validate() throws {
        func fail(_ message: String) -> AutoencoderError { AutoencoderError("invalid autoencoder configuration: \(message)") }
        let limit = AutoencoderConfig.maxChannels
        for (name, value) in [("ch", ch), ("z_channels", zChannels), ("in_channels", inChannels), ("out_ch", outCh),
                              ("embed_dim", embedDim)] where !(1...limit).contains(value) {
            throw fail("\(name) must be in 1...\(limit), got \(value)")
        }
        guard (1...AutoencoderConfig.maxLevels).contains(chMult.count) else {
            throw fail("ch_mult must have 1...\(AutoencoderConfig.maxLevels) entries, got \(chMult.count)")
        }
        for (i, m) in chMult.enumerated() {
            let (product, overflow) = ch.multipliedReportingOverflow(by: m)
            guard m > 0, !overflow, product <= limit else {
                throw fail("ch * ch_mult[\(i)] must be in 1...\(limit), got \(ch) * \(m)")
            }
        }
        for (name, channels) in [("ch", ch)] + chMult.enumerated().map({ ("ch * ch_mult[\($0.offset)]", ch * $0.element) })
        where channels % AutoencoderConfig.normGroups != 0 {
            throw fail("\(name) = \(channels) is not divisible by the \(AutoencoderConfig.normGroups) GroupNorm groups")
        }
        guard (1...AutoencoderConfig.maxResBlocks).contains(numResBlocks) else {
            throw fail("num_res_blocks must be in 1...\(AutoencoderConfig.maxResBlocks), got \(numResBlocks)")
        }
        guard doubleZ else {
            throw fail("double_z must be true: the KL autoencoder's encoder outputs a mean and a log-variance")
        }
        if let r = attnResolutions.first(where: { $0 <= 0 }) { throw fail("attn_resolutions holds \(r); sides are positive") }
        if let resolution, resolution <= 0 { throw fail("resolution must be positive, got \(resolution)") }
        if resolution == nil && !attnResolutions.isEmpty {
            throw fail("attn_resolutions \(attnResolutions) needs resolution, the side the placement counts from")
        }
        guard dropout >= 0 && dropout <= 1 else { throw fail("dropout must be in [0, 1], got \(dropout)") }
        guard scaleFactor.isFinite && scaleFactor > 0 else { throw fail("scale_factor must be positive, got \(scaleFactor)") }
    }
}
