import Evaluation
import Foundation
import Pipeline
import Torch

/// Runs an image source through the feature networks with a progress bar (images/s and ETA on standard
/// error), feeding them `featureBatch` images at a time.
enum EvalRun {
    /// Where the time went.
    struct Timing {
        /// Seconds spent producing images (sampling, decoding, reading).
        var source = 0.0
        /// Seconds spent in the feature networks.
        var features = 0.0
    }

    /// Measures every image of `source`; `what` labels the progress line.
    static func measure(_ source: inout any EvalImageSource, inception: InceptionMeasurement?,
                        classifier: ClassifierMeasurement?, featureBatch: Int, what: String) throws -> Timing {
        var timing = Timing()
        var bar = ProgressBar(total: source.count)
        var done = 0
        while true {
            let started = Date()
            guard let block = try source.next() else { break }
            let produced = Date()
            timing.source += produced.timeIntervalSince(started)
            var start = 0
            while start < block.images.size(0) {
                let count = min(featureBatch, block.images.size(0) - start)
                let images = try block.images.narrow(dim: 0, start: start, length: count)
                try inception?.add(bytes: images)
                try classifier?.add(bytes: images, labels: block.labels?.narrow(dim: 0, start: start, length: count))
                start += count
            }
            timing.features += Date().timeIntervalSince(produced)
            done += block.images.size(0)
            bar.update(step: done, items: done, fields: [(what, "")])
        }
        bar.finish()
        return timing
    }
}
