/// Which of a training run's weights a model file holds or a sampler uses.
public enum WeightsKind: String, Sendable {
    /// The exponential moving average of the parameters (what the authors sample with).
    case ema
    /// The optimizer's parameters as they were at the last step.
    case raw
    /// A state dict from elsewhere (a `.pth`), whatever its weights are.
    case saved

    /// `EMA` or `raw`, for messages.
    public var description: String {
        switch self {
        case .ema: "EMA"
        case .raw: "raw"
        case .saved: "as saved"
        }
    }

    /// The kind of an exported file's `model.*` tensors from its `weights` metadata (`ema`; `model` or absent = raw).
    static func ofExported(_ metadata: String?) -> WeightsKind { metadata == "ema" ? .ema : .raw }
}
