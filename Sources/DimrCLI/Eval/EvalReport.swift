import Evaluation
import Foundation

/// The JSON object `dimr eval` prints: metrics, the whole protocol and timings, keys sorted.
struct EvalReport {
    var protocolFields: [String: Any] = [:]
    var metrics: [String: Any] = [:]
    var timing: [String: Any] = [:]
    var notes: [String] = []

    /// A float64 metric as JSON: the number, or null when it is not finite.
    static func number(_ value: Double) -> Any { value.isFinite ? value : NSNull() }

    /// Adds the Inception metrics.
    mutating func addInception(fid: FrechetDistanceResult, sfid: FrechetDistanceResult?, inceptionScore: InceptionScoreResult,
                               precisionRecall: PrecisionRecallResult?) {
        metrics["fid"] = Self.number(fid.value)
        metrics["sfid"] = sfid.map { Self.number($0.value) } ?? NSNull()
        metrics["inception_score"] = Self.number(inceptionScore.mean)
        metrics["inception_score_std"] = Self.number(inceptionScore.standardDeviation)
        metrics["precision"] = precisionRecall.map { Self.number($0.precision) } ?? NSNull()
        metrics["recall"] = precisionRecall.map { Self.number($0.recall) } ?? NSNull()
        if fid.diagonalOffset > 0 { notes.append("FID: singular covariance product, 1e-6 added to both diagonals (as the ADM evaluator does)") }
        if let sfid, sfid.diagonalOffset > 0 { notes.append("sFID: singular covariance product, 1e-6 added to both diagonals") }
    }

    /// Adds the classifier metrics (precision and recall null when not measured).
    mutating func addClassifier(fid: FrechetDistanceResult, precisionRecall: PrecisionRecallResult?, accuracy: ClassAccuracy?,
                                classNames: [String]) {
        metrics["classifier_fid"] = Self.number(fid.value)
        metrics["classifier_precision"] = precisionRecall.map { Self.number($0.precision) } ?? NSNull()
        metrics["classifier_recall"] = precisionRecall.map { Self.number($0.recall) } ?? NSNull()
        if fid.diagonalOffset > 0 { notes.append("classifier FID: singular covariance product, 1e-6 added to both diagonals") }
        if let accuracy, accuracy.count > 0 {
            metrics["class_accuracy"] = Self.number(accuracy.overall)
            var perClass: [String: Any] = [:]
            for (index, value) in accuracy.perClass.enumerated() {
                perClass[index < classNames.count ? "\(index) \(classNames[index])" : String(index)] = value.map(Self.number) ?? NSNull()
            }
            metrics["class_accuracy_per_class"] = perClass
        } else {
            metrics["class_accuracy"] = NSNull()
        }
    }

    /// The object as one line of JSON.
    func json() throws -> String {
        var object: [String: Any] = ["protocol": protocolFields, "metrics": metrics, "timing": timing]
        if !notes.isEmpty { object["notes"] = notes }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// The line for people: the metrics measured, or that nothing was (and where the samples went).
    func summary() -> String {
        func value(_ key: String, _ label: String, _ format: String) -> String? {
            guard let v = metrics[key] as? Double else { return nil }
            return "\(label) " + String(format: format, v)
        }
        let parts = [value("fid", "FID", "%.2f"), value("sfid", "sFID", "%.2f"), value("inception_score", "IS", "%.2f"),
                     value("precision", "precision", "%.3f"), value("recall", "recall", "%.3f"),
                     value("class_accuracy", "class accuracy", "%.4f"), value("classifier_fid", "classifier FID", "%.3f"),
                     value("classifier_precision", "classifier precision", "%.3f"), value("classifier_recall", "classifier recall", "%.3f")]
        let n = protocolFields["n"].map { "\($0)" } ?? "?"
        let measured = parts.compactMap { $0 }
        guard !measured.isEmpty else {
            if !metrics.isEmpty { return "\(n) images: no metric came out finite (see the JSON)" }
            let saved = protocolFields["saved_samples"].map { " (\(n) samples saved to \($0))" } ?? ""
            return "nothing measured\(saved)"
        }
        return "\(n) images: " + measured.joined(separator: ", ")
    }
}
