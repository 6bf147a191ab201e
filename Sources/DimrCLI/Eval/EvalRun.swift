import Evaluation
import Foundation
import Pipeline
import Torch

/// Runs an image source through the feature networks with a progress bar (images/s and ETA on standard
/// error; when standard error is not a terminal, a plain line after the first block and then every
/// `plainProgressSeconds`), feeding them `featureBatch` images at a time.
enum EvalRun {
    /// Seconds between the plain progress lines written when standard error is not a terminal.
    static let plainProgressSeconds = 10.0

    /// Where the time went.
    struct Timing {
        /// Seconds spent producing images (sampling, decoding, reading).
        var source = 0.0
        /// Seconds spent in the feature networks.
        var features = 0.0
    }

    /// Thrown between blocks when Ctrl-C or SIGTERM asked the run to stop (see `Interrupt`).
    struct Interrupted: Error {
        /// Images measured before the stop.
        let done: Int
    }

    /// Measures every image of `source`; `what` labels the progress line.
    /// - Throws: `Interrupted` after the block during which an interrupt was requested.
    static func measure(_ source: inout any EvalImageSource, inception: InceptionMeasurement?,
                        classifier: ClassifierMeasurement?, featureBatch: Int, what: String) throws -> Timing {
        var timing = Timing()
        var bar = ProgressBar(total: source.count, plainInterval: plainProgressSeconds)
        var done = 0
        while true {
            if Interrupt.requested { throw Interrupted(done: done) }
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
