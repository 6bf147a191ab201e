import Foundation
import Testing
import Torch
@testable import Evaluation

/// Improved precision and recall on point sets whose answers are worked out by hand.
struct PrecisionRecallTests {
    /// Ten points (i, y) for i = 0..9.
    static func line(y: Double) throws -> Tensor {
        try Tensor((0..<10).flatMap { [Double($0), y] }, shape: [10, 2])
    }

    @Test func radiiAreTheThirdNeighbourDistances() throws {
        // On a line of unit spacing the 3rd nearest other point is at 2 (inside) or 3 (the ends): r² = 4 or 9.
        let r = try PrecisionRecall.radii(Self.line(y: 0), k: 3).toArray(Double.self)
        // Point 1's neighbours are at 1, 1, 2: r² = 4; point 0's at 1, 2, 3: r² = 9.
        #expect(r == [9, 4, 4, 4, 4, 4, 4, 4, 4, 9])
    }

    @Test func shiftedLineHasKnownPrecisionAndRecall() throws {
        // Samples (j, 2.5) against reference (i, 0): squared distance (i - j)² + 6.25. Inner balls (r² = 4)
        // hold no sample; the end balls (r² = 9) hold samples with (i - j)² <= 2.75: j = 0, 1 and 8, 9.
        // The sets mirror each other, so recall is the same 4 / 10.
        let result = try PrecisionRecall.compute(reference: Self.line(y: 0), samples: Self.line(y: 2.5))
        #expect(result.precision == 0.4)
        #expect(result.recall == 0.4)
        // At 1.5 apart every sample is within an inner ball ((i - j)² <= 1.75 for j = i).
        let near = try PrecisionRecall.compute(reference: Self.line(y: 0), samples: Self.line(y: 1.5))
        #expect(near.precision == 1 && near.recall == 1)
        // A point exactly on a sphere is inside (<=, as ADM): at 2 apart, sample i is at r² = 4 from reference i.
        let touching = try PrecisionRecall.compute(reference: Self.line(y: 0), samples: Self.line(y: 2))
        #expect(touching.precision == 1)
    }

    @Test func farAndMixedSetsGiveTheirFractions() throws {
        // Half the samples on the reference line (points 0..4), half far away (y = 100, 10 apart): precision 1/2.
        let far = try Tensor((0..<5).flatMap { [Double($0) * 10, 100] }, shape: [5, 2])
        let samples = try Tensor.cat([Self.line(y: 0).narrow(dim: 0, start: 0, length: 5), far])
        let result = try PrecisionRecall.compute(reference: Self.line(y: 0), samples: samples)
        #expect(result.precision == 0.5)
        // Sample radii: r² = 9 for samples 0 and 4 (neighbours at 1, 2, 3), 4 for 1..3, 900 for the far ones
        // (30 away along y = 100, still 100 from the line). Sample 0 covers reference 0..3, sample 4 covers
        // 1..7: recall 8/10.
        #expect(result.recall == 0.8)
    }

    @Test func blocksGiveTheSameAnswerAsOneBlock() throws {
        let g = try Generator(seed: 21)
        let reference = try Tensor.randn([57, 8], dtype: .float64, generator: g)
        let samples = try Tensor.randn([43, 8], dtype: .float64, generator: g) * 1.3 + 0.2
        let whole = try PrecisionRecall.compute(reference: reference, samples: samples, blockElements: 1 << 20)
        let blocked = try PrecisionRecall.compute(reference: reference, samples: samples, blockElements: 7 * 57)
        #expect(whole == blocked)
        // And against a direct count from the definition.
        let ref = try reference.toArray(Double.self), gen = try samples.toArray(Double.self)
        func d(_ a: [Double], _ i: Int, _ b: [Double], _ j: Int) -> Double {
            (0..<8).map { (a[i * 8 + $0] - b[j * 8 + $0]) * (a[i * 8 + $0] - b[j * 8 + $0]) }.reduce(0, +)
        }
        func radius(_ x: [Double], _ n: Int, _ i: Int) -> Double { (0..<n).map { d(x, i, x, $0) }.sorted()[3] }
        let refR = (0..<57).map { radius(ref, 57, $0) }, genR = (0..<43).map { radius(gen, 43, $0) }
        let precision = Double((0..<43).filter { j in (0..<57).contains { d(gen, j, ref, $0) <= refR[$0] } }.count) / 43
        let recall = Double((0..<57).filter { i in (0..<43).contains { d(ref, i, gen, $0) <= genR[$0] } }.count) / 57
        #expect(whole.precision == precision)
        #expect(whole.recall == recall)
    }

    @Test func tooSmallSetsAreRefused() throws {
        let three = try Tensor.zeros([3, 2], dtype: .float64)
        #expect(thrownMessage { _ = try PrecisionRecall.compute(reference: three, samples: three) }?.contains("more than 3") == true)
        #expect(thrownMessage { _ = try PrecisionRecall.compute(reference: Self.line(y: 0), samples: Tensor.zeros([5, 3])) } != nil)
    }
}
