import Autoencoder
import Foundation

/// Paths of the autoencoder fixtures beside this file (made by scripts/refs/vae_fixtures.py, see Fixtures/README.md).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The path of fixture `name` (with extension).
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Every committed fixture.
    static let all = ["vae_tiny.safetensors", "vae_attn16_embed3.safetensors", "vae_f8_nonsquare.safetensors",
                      "vae_res18_mono.safetensors", "vae_linear_avgpool_tanh.safetensors"]
}

/// The message of the error `body` throws, or "no error".
func errorMessage(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return "no error"
}

/// A small three-level configuration (down-sampling by 4) for shape and error tests.
let smallConfig = AutoencoderConfig(ch: 32, chMult: [1, 2, 1], numResBlocks: 1, zChannels: 4, inChannels: 3, outCh: 3,
                                    attnResolutions: [8], resolution: 16, embedDim: 3)
