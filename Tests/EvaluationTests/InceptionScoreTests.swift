import Foundation
import Testing
import Torch
@testable import Evaluation

/// The Inception Score of logit sets whose score is known.
struct InceptionScoreTests {
    /// Logits giving probability `confidence` to `label` and the rest evenly to the other classes.
    static func logits(labels: [Int], classes: Int, confidence: Double) throws -> Tensor {
        let other = (1 - confidence) / Double(classes - 1)
        let rows = labels.map { label in (0..<classes).map { log($0 == label ? confidence : other) } }
        return try Tensor(rows.flatMap { $0 }, shape: [labels.count, classes])
    }

    @Test func oneHotPredictionsSpreadEvenlyScoreTheClassCount() throws {
        // p(y|x) one-hot (to float64 precision) and every class equally often: KL = log C, score C.
        let labels = (0..<1000).map { $0 % 10 }
        var score = try InceptionScore(classCount: 10)
        try score.add(logits: Self.logits(labels: labels, classes: 10, confidence: 1 - 1e-15))
        let result = try score.result()
        #expect(abs(result.mean - 10) <= 1e-9)
        #expect(result.splitScores.count == 1)
    }

    @Test func knownSoftPredictionsGiveTheirScore() throws {
        // p(y|x) = c on the label, (1-c)/(C-1) elsewhere, labels balanced: p(y) uniform, so
        // KL = c log(cC) + (1-c) log((1-c)C/(C-1)) for every image.
        let c = 0.7, classes = 5
        let kl = c * log(c * Double(classes)) + (1 - c) * log((1 - c) * Double(classes) / Double(classes - 1))
        var score = try InceptionScore(classCount: classes, splitSize: 50)
        // Two batches that straddle split boundaries: 4 splits of 50, each balanced (10 per class).
        let labels = (0..<200).map { $0 % classes }
        let all = try Self.logits(labels: labels, classes: classes, confidence: c)
        try score.add(logits: all.narrow(dim: 0, start: 0, length: 73))
        try score.add(logits: all.narrow(dim: 0, start: 73, length: 127))
        let result = try score.result()
        #expect(result.splitScores.count == 4)
        for s in result.splitScores { #expect(abs(s - exp(kl)) <= 1e-12) }
        #expect(abs(result.standardDeviation) <= 1e-12)
    }

    @Test func unbalancedSplitsScoreLower() throws {
        // One class per split: p(y) is that class, so KL = 0 and each split scores 1 (why splits must mix classes).
        var score = try InceptionScore(classCount: 4, splitSize: 10)
        try score.add(logits: Self.logits(labels: (0..<40).map { $0 / 10 }, classes: 4, confidence: 1 - 1e-15))
        let result = try score.result()
        #expect(result.splitScores.count == 4)
        #expect(abs(result.mean - 1) <= 1e-9)
    }

    @Test func aPartialLastSplitIsScoredAsADMDoes() throws {
        var score = try InceptionScore(classCount: 2, splitSize: 4)
        try score.add(logits: Self.logits(labels: [0, 1, 0, 1, 0, 1], classes: 2, confidence: 1 - 1e-15))
        let result = try score.result()
        #expect(result.splitScores.count == 2)
        #expect(abs(result.splitScores[1] - 2) <= 1e-9)
        #expect(result.count == 6)
    }
}
