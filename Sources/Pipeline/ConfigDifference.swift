import Foundation

/// The differences between a checkpoint's training configuration and this run's, field by field, for
/// the message that refuses a resume: what changes the run is compared, how its data is spelled is not.
public enum ConfigDifference {
    /// The `dimr train` option of each field of `TrainingConfig` (model fields are given by --preset or --config).
    static let optionNames: [String: String] = [
        "batchSize": "--batch-size", "learningRate": "--lr", "warmupSteps": "--warmup", "weightDecay": "--weight-decay",
        "emaRate": "--ema-rate", "emaWarmup": "--ema-warmup", "gradClip": "--grad-clip",
        "labelDropProbability": "--label-drop", "randomFlip": "--flip", "seed": "--seed", "imageSize": "--image-size",
        "lossCoefficients": "--loss-coeffs", "beta1": "AdamW beta1", "beta2": "AdamW beta2",
    ]

    /// The fields of the optimisation recipe: a resumed run may change these when asked (`dimr train
    /// --change-recipe`), for instance to lower the learning rate for the last steps. They change how the
    /// weights move from here on, not what the run is (model, data, data order, noise, batch).
    public static let recipeFields: Set<String> = ["learningRate", "warmupSteps", "weightDecay", "emaRate", "emaWarmup", "gradClip"]

    /// One line per differing field, `--lr: 0.001 in the checkpoint, 0.0005 in this run`; empty when the runs match.
    ///
    /// The data set's kind is compared, its path is not (`DataIdentity` compares the data itself).
    public static func lines(saved: TrainingConfig, current: TrainingConfig) throws -> [String] {
        try differences(saved: saved, current: current).map(\.line)
    }

    /// Each differing field with its line (as `lines`) and whether it belongs to the recipe (`recipeFields`).
    public static func differences(saved: TrainingConfig, current: TrainingConfig) throws -> [(line: String, isRecipe: Bool)] {
        var out: [(line: String, isRecipe: Bool)] = []
        if saved.dataset.kind != current.dataset.kind {
            out.append(("--dataset: \(saved.dataset.kind) in the checkpoint, \(current.dataset.kind) in this run", false))
        }
        let old = try flatten(saved), new = try flatten(current)
        for key in Set(old.keys).union(new.keys).sorted() where old[key] != new[key] {
            out.append(("\(label(key)): \(old[key] ?? "none") in the checkpoint, \(new[key] ?? "none") in this run",
                        recipeFields.contains(topLevel(key))))
        }
        return out
    }

    static func topLevel(_ key: String) -> String { String(key.prefix { $0 != "[" && $0 != "." }) }

    static func label(_ key: String) -> String {
        if key.hasPrefix("model.") { return "model " + key.dropFirst(6) + " (--preset / --config)" }
        let top = topLevel(key)
        guard let option = optionNames[top] else { return key }
        return option + key.dropFirst(top.count)
    }

    /// Every leaf of the configuration's JSON but the data set, as `path: JSON text`.
    static func flatten(_ config: TrainingConfig) throws -> [String: String] {
        guard var object = try JSONSerialization.jsonObject(with: Data(config.json().utf8)) as? [String: Any] else {
            throw PipelineError("a training configuration did not encode as a JSON object")
        }
        object["dataset"] = nil
        var out: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let dict = value as? [String: Any] {
                for (k, v) in dict { walk(v, path.isEmpty ? k : path + "." + k) }
            } else if let array = value as? [Any], array.contains(where: { $0 is [String: Any] || $0 is [Any] }) {
                out[path + ".count"] = String(array.count)
                for (i, v) in array.enumerated() { walk(v, "\(path)[\(i)]") }
            } else {
                let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
                out[path] = data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
            }
        }
        walk(object, "")
        return out
    }
}
