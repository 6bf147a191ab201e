import DiMR
import DiT

/// A named model of any family, with the image size and loss weights it is trained with: the DiMR presets
/// (`DiMRConfig.presets`) and the DiT baselines of the Fashion-MNIST study.
public struct NetworkPreset: Sendable {
    /// The name `--preset` and `dimr info --preset` accept.
    public let name: String
    /// One line on what the preset is for.
    public let summary: String
    /// Input height = width.
    public let imageSize: Int
    /// Loss weight per output, low resolution first.
    public let lossCoefficients: [Double]
    /// The network.
    public let config: NetworkConfig

    /// Every preset: DiMR's, then the DiT baselines.
    public static let all: [NetworkPreset] = DiMRConfig.presets.map {
        NetworkPreset(name: $0.name, summary: $0.summary, imageSize: $0.imageSize, lossCoefficients: $0.lossCoefficients,
                      config: .dimr($0.config))
    } + [
        NetworkPreset(name: "dit-fmnist-p2", summary: "DiT baseline for Fashion-MNIST, patch 2, about fmnist-3r's FLOPs",
                      imageSize: 32, lossCoefficients: [1], config: .dit(DiTConfig.fashionMNISTPatch2)),
        NetworkPreset(name: "dit-fmnist-p4", summary: "DiT baseline for Fashion-MNIST, patch 4, about fmnist-3r's FLOPs",
                      imageSize: 32, lossCoefficients: [1], config: .dit(DiTConfig.fashionMNISTPatch4)),
    ]

    /// The preset with this name (case-insensitive; `_` and `-` alike).
    /// - Throws: `PipelineError` listing the known names.
    public static func named(_ name: String) throws -> NetworkPreset {
        func key(_ s: String) -> String { s.lowercased().replacingOccurrences(of: "_", with: "-") }
        guard let match = all.first(where: { key($0.name) == key(name) }) else {
            throw PipelineError("unknown preset \(name); known presets: \(all.map(\.name).joined(separator: ", "))")
        }
        return match
    }
}
