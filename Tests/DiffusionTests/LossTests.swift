import Foundation
import Testing
import TestSupport
import Torch
@testable import Diffusion

@Suite("Multi-scale targets and loss")
struct LossTests {
    @Test("targets match the authors' multi_scale_targets for even and odd sides", arguments: [("even", [16, 8, 4]), ("odd", [17, 9, 5])])
    func targetsMatchAuthors(kind: String, sides: [Int]) throws {
        let noise = try Refs.tensor("targets.\(kind).noise")
        let targets = try MultiScaleLoss.targets(noise: noise, levels: 3)
        let magnitudes = try MultiScaleLoss.targets(noise: noise.abs(), levels: 3)
        #expect(targets.keys.sorted() == sides.sorted())
        for side in sides {
            guard let target = targets[side], let magnitude = magnitudes[side] else { continue }
            // An r x r window sum (r^2 - 1 roundings for r <= 4), the division and the scaling (2),
            // relative to the same targets of |noise| (the sums cancel).
            let condition = try Float32Tolerance.condition(magnitudes: magnitude, result: target)
            try expectMatches(target, "targets.\(kind).\(side)", tolerance: Float32Tolerance.depth(17, condition: condition))
        }
    }

    @Test("targets of the DiMR parity fixture's noise match its loss.target.<size>")
    func targetsMatchParityFixture() throws {
        let noise = try Refs.tensor("fixture.loss.noise")
        let targets = try MultiScaleLoss.targets(noise: noise, levels: 2)
        let magnitudes = try MultiScaleLoss.targets(noise: noise.abs(), levels: 2)
        for side in [16, 32] {
            guard let target = targets[side], let magnitude = magnitudes[side] else { Issue.record("no target of side \(side)"); continue }
            // A 2 x 2 window sum (3), the division and the scaling (2), relative to the targets of |noise|.
            let condition = try Float32Tolerance.condition(magnitudes: magnitude, result: target)
            try expectMatches(target, "fixture.loss.target.\(side)", tolerance: Float32Tolerance.depth(5, condition: condition))
        }
    }

    @Test("a 1/r target is the r x r window mean times r")
    func targetIsScaledMean() throws {
        let noise = try Tensor((0..<16).map(Float.init), shape: [1, 1, 4, 4])
        let targets = try MultiScaleLoss.targets(noise: noise, levels: 2)
        let half = try #require(targets[2]).toArray(Float.self)
        // Window {0, 1, 4, 5}: mean 2.5, times 2.
        #expect(half == [5, 9, 21, 25])
        let plain = try #require(MultiScaleLoss.targets(noise: noise, levels: 2, scaleCorrection: false)[2])
        #expect(try plain.toArray(Float.self) == [2.5, 4.5, 10.5, 12.5])
    }

    @Test("per-sample loss equals the authors' LSimple", arguments: [2, 3])
    func lossMatchesAuthors(levels: Int) throws {
        let prefix = "loss\(levels)."
        let network = AnalyticNetwork(bias: try Refs.tensor(prefix + "bias"), levels: levels)
        let loss = TrainingLoss(schedule: try .stableDiffusion(), levels: levels)
        let perSample = try loss.perSample(network: network, x0: Refs.tensor(prefix + "x0"), classes: Refs.tensor(prefix + "y"),
                                           noise: Refs.tensor(prefix + "noise"), timesteps: Refs.tensor(prefix + "timesteps"))
        // Per element: the noised input (3), the analytic network (8), the target (up to 17) and the
        // squared difference (2); the mean over (C, H, W) is libtorch's cascade sum; the weighted sum
        // over levels adds 2 per level. All terms are positive: no cancellation.
        let elements = try Refs.tensor(prefix + "x0").shape.dropFirst().reduce(1, *)
        let depth = 30 + Float32Tolerance.libtorchSumDepth(elements) + 2 * levels
        let error = try expectMatches(perSample, prefix + "per_sample", tolerance: Float32Tolerance.depth(depth))
        print("loss (\(levels) levels) vs the authors' LSimple: relative error \(error)")
        #expect(network.calls.count == 1)
    }

    @Test("the authors' coefficients: [1/4, 1], [1/16, 1/4, 1]")
    func defaultCoefficients() {
        #expect(MultiScaleLoss.defaultCoefficients(levels: 1) == [1])
        #expect(MultiScaleLoss.defaultCoefficients(levels: 2) == [0.25, 1])
        #expect(MultiScaleLoss.defaultCoefficients(levels: 3) == [1.0 / 16, 0.25, 1])
    }

    @Test("the loss weighs each level by its coefficient")
    func coefficientsWeighLevels() throws {
        let target = try Tensor.zeros([2, 1, 4, 4])
        let targets = try MultiScaleLoss.targets(noise: target, levels: 2)
        let low = try Tensor.full([2, 1, 2, 2], 2), high = try Tensor.full([2, 1, 4, 4], 1)
        let loss = try MultiScaleLoss.perSample(predictions: [low, high], targets: targets, coefficients: [0.25, 3])
        #expect(try loss.toArray(Float.self) == [0.25 * 4 + 3, 0.25 * 4 + 3])
    }

    @Test("mismatched predictions and coefficients are errors")
    func lossValidation() throws {
        let targets = try MultiScaleLoss.targets(noise: Tensor.zeros([1, 1, 4, 4]), levels: 2)
        let full = try Tensor.zeros([1, 1, 4, 4])
        #expect(throws: TorchError.self) { try MultiScaleLoss.perSample(predictions: [full], targets: targets, coefficients: [1, 1]) }
        #expect(throws: TorchError.self) {
            try MultiScaleLoss.perSample(predictions: [Tensor.zeros([1, 1, 3, 3])], targets: targets, coefficients: [1])
        }
        #expect(throws: TorchError.self) { try MultiScaleLoss.targets(noise: Tensor.zeros([1, 1, 6, 6]), levels: 3) }
    }

    @Test("the drawn loss takes steps then noise from the generator")
    func drawnLossUsesGenerator() throws {
        let schedule = try NoiseSchedule.stableDiffusion()
        let bias = try Tensor.randn([11, 2, 8, 8], generator: Generator(seed: 9))
        let network = AnalyticNetwork(bias: bias, levels: 2)
        let loss = TrainingLoss(schedule: schedule, levels: 2)
        let x0 = try Tensor.randn([3, 2, 8, 8], generator: Generator(seed: 10))
        let classes = try Tensor([Int64(1), 4, 10])
        let drawn = try loss.perSample(network: network, x0: x0, classes: classes, generator: Generator(seed: 11))
        let generator = try Generator(seed: 11)
        let steps = try schedule.sampleTimesteps(3, generator: generator)
        let noise = try Tensor.randn([3, 2, 8, 8], generator: generator)
        let explicit = try loss.perSample(network: network, x0: x0, classes: classes, noise: noise, timesteps: steps)
        #expect(try identical(drawn, explicit))
        #expect(drawn.shape == [3])
    }

    @Test("label dropout replaces about p of the labels by the null class, reproducibly")
    func labelDropout() throws {
        let labels = try Tensor((0..<10_000).map { Int64($0 % 10) })
        let loss = TrainingLoss(schedule: try .stableDiffusion(), levels: 2)
        let dropped = try loss.dropLabels(labels, nullClass: 10, generator: Generator(seed: 3)).toArray(Int64.self)
        let original = try labels.toArray(Int64.self)
        let nulls = dropped.filter { $0 == 10 }.count
        #expect(nulls > 850 && nulls < 1150, "\(nulls) of 10000 dropped")
        #expect(zip(dropped, original).allSatisfy { $0 == 10 || $0 == $1 })
        let again = try loss.dropLabels(labels, nullClass: 10, generator: Generator(seed: 3)).toArray(Int64.self)
        #expect(dropped == again)
        let none = try TrainingLoss.dropLabels(labels, nullClass: 10, probability: 0, generator: Generator(seed: 3))
        #expect(try none.toArray(Int64.self) == original)
        let all = try TrainingLoss.dropLabels(labels, nullClass: 10, probability: 1, generator: Generator(seed: 3))
        #expect(try all.toArray(Int64.self).allSatisfy { $0 == 10 })
    }
}
