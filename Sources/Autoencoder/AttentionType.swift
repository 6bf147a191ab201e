/// The attention block the autoencoder builds in its middle and at `attn_resolutions` (`attn_type`).
public enum AttentionType: String, Codable, Sendable, CaseIterable {
    /// Single-head softmax attention over all positions, with a GroupNorm and a residual (`AttnBlock`).
    case vanilla
    /// Single-head linear attention, keys normalised over positions, no norm and no residual (`LinAttnBlock`).
    case linear
    /// No attention: the identity (`nn.Identity`, no parameters).
    case none
}
