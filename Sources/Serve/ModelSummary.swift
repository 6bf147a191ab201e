import DiMR
import Foundation
import Pipeline

/// What the server tells about its model (`GET /v1/models`) and checks requests against.
public struct ModelSummary: Sendable, Encodable {
    /// One class: its index and its name when the model file records one.
    public struct ClassEntry: Sendable, Encodable, Equatable {
        /// Label index, 0..<classes.
        public let index: Int
        /// The class name, if known.
        public let name: String?
    }

    /// The model file's name (no folder).
    public let name: String
    /// One image's shape [C, H, W].
    public let imageShape: [Int]
    /// The classes a request may ask for (the null class excluded).
    public let classes: [ClassEntry]
    /// Trainable parameters.
    public let parameters: Int
    /// Which weights were loaded (EMA, raw, as saved).
    public let weights: String
    /// The model configuration (the authors' field names).
    public let configuration: NetworkConfig

    /// The summary of a loaded model file read from `path`.
    public init(file: ModelFile, path: String) {
        name = URL(fileURLWithPath: path).lastPathComponent
        imageShape = [file.config.channels, file.imageSize, file.imageSize]
        classes = (0..<file.nullClass).map { k in
            ClassEntry(index: k, name: file.classNames.flatMap { k < $0.count ? $0[k] : nil })
        }
        parameters = file.model.parameterCount
        weights = file.weights.description
        configuration = file.config
    }

    /// Class names in label order where known (nil when the model records none), as `ClassSelection` takes them.
    var classNames: [String]? {
        let names = classes.compactMap(\.name)
        return names.isEmpty ? nil : names
    }
}
