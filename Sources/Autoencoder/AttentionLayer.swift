import Torch
import NN

/// An attention layer of the autoencoder, over (B, C, H, W) feature maps. This base class is the identity
/// (`attn_type` `none`, the reference's `nn.Identity`, no parameters); subclasses attend.
public class AttentionLayer: Module, @unchecked Sendable {
    /// Channels C of the feature map.
    public let channels: Int

    /// An attention layer over `channels` channels.
    init(channels: Int) {
        self.channels = channels
        super.init()
    }

    /// (B, C, H, W) -> (B, C, H, W).
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x) }

    /// The layer's computation; the identity here.
    func forward(_ x: Tensor) throws -> Tensor { x }

    /// The layer `type` asks for over `channels` channels.
    static func make(_ type: AttentionType, channels: Int, layers: LayerBuilder) throws -> AttentionLayer {
        switch type {
        case .vanilla: return try SpatialSelfAttention(channels: channels, layers: layers)
        case .linear: return try LinearAttention(channels: channels, layers: layers)
        case .none: return AttentionLayer(channels: channels)
        }
    }
}
