import Foundation
import Testing
import TestSupport
import Torch
@testable import NN

/// The reference run of nn_refs.py: lr 1e-2 with 3 warm-up steps, betas (0.99, 0.99), weight decay 0.03
/// except for `nodecay_weight`, 5 steps, `head.bias` without a gradient on the second step.
private let names = ["block.weight", "block.nodecay_weight", "head.bias"]
private let schedule = LinearWarmup(baseLearningRate: 1e-2, warmupSteps: 3)
private let steps = 5

private func makeOptimizer(_ model: Module) throws -> AdamW {
    let groups = ParameterGroup.grouped(model.namedParameters(),
                                        weightDecay: ParameterGroup.noDecay(["nodecay_weight", "nodecay_bias"]))
    return try AdamW(groups: groups, learningRate: 0, betas: (0.99, 0.99), eps: 1e-8, weightDecay: 0.03)
}

/// Runs reference steps `range` on `model`: warm-up learning rate, gradients from the fixture, one update.
private func runSteps(_ range: Range<Int>, _ model: Module, _ optimizer: AdamW, after: (Int) throws -> Void = { _ in }) throws {
    let byName = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.parameter) })
    for k in range {
        optimizer.learningRate = schedule.learningRate(atStep: k)
        try optimizer.zeroGrad()
        for name in names {
            guard let parameter = byName[name], k != 1 || name != "head.bias" else { continue }
            try parameter.tensor.setGrad(NNRefs.tensor("adamw.grad.\(k).\(name)"))
        }
        try optimizer.step()
        try after(k)
    }
}

@Suite("AdamW, schedules, clipping")
struct OptimizerTests {
    @Test func groupsFollowTheRule() throws {
        let model = try TwoPartModel.reference()
        let groups = ParameterGroup.grouped(model.namedParameters(), weightDecay: ParameterGroup.noDecay(["nodecay_weight"]))
        #expect(groups.count == 2)
        #expect(groups[0].weightDecay == nil && groups[0].parameters.map(\.name) == ["block.weight", "head.bias"])
        #expect(groups[1].weightDecay == 0 && groups[1].parameters.map(\.name) == ["block.nodecay_weight"])
        // Only the last name component counts: "nodecay_weight_extra" is decayed.
        #expect(ParameterGroup.noDecay(["nodecay_weight"])("a.nodecay_weight_extra") == nil)
        #expect(ParameterGroup.noDecay(["nodecay_weight"])("nodecay_weight") == 0)
    }

    @Test func warmupScheduleStartsAtZero() {
        #expect(schedule.learningRate(atStep: 0) == 0)
        #expect(abs(schedule.learningRate(atStep: 1) - 1e-2 / 3) < 1e-18)
        #expect(schedule.learningRate(atStep: 3) == 1e-2)
        #expect(schedule.learningRate(atStep: 50) == 1e-2)
        #expect(LinearWarmup(baseLearningRate: 2e-4, warmupSteps: 0).learningRate(atStep: 0) == 2e-4)
    }

    /// One AdamW step rounds about 14 times per element: both moments (3 each), their bias corrections
    /// (2), the square root and eps (2), the division and the step (3), weight decay (1); the moments'
    /// errors stay relative to their own size, and a parameter's are relative to its magnitude because
    /// each step moves it by at most lr. Over 5 steps: 5 * 14 = 70 roundings for parameters, 5 * 3 for
    /// the moments.
    static let parameterTolerance = Float32Tolerance.depth(5 * 14)
    static let momentTolerance = Float32Tolerance.depth(5 * 3)

    @Test func adamwMatchesPyTorch() throws {
        let model = try TwoPartModel.reference()
        let optimizer = try makeOptimizer(model)
        try runSteps(0..<steps, model, optimizer) { k in
            for (name, parameter) in model.namedParameters() {
                try expectMatches(parameter.tensor, "adamw.param.\(k).\(name)", tolerance: Self.parameterTolerance)
            }
        }
        for name in names {
            let state = try #require(optimizer.state[name])
            try expectMatches(state.expAvg, "adamw.state.\(name).exp_avg", tolerance: Self.momentTolerance)
            try expectMatches(state.expAvgSq, "adamw.state.\(name).exp_avg_sq", tolerance: Self.momentTolerance)
            #expect(state.step == (try NNRefs.tensor("adamw.state.\(name).step").itemInt()))
        }
        #expect(optimizer.state["head.bias"]?.step == steps - 1, "a step without gradient is skipped")
        // The first step has learning rate 0: the parameters are unchanged by it.
        let fresh = try TwoPartModel.reference()
        let first = try makeOptimizer(fresh)
        try runSteps(0..<1, fresh, first)
        for (name, parameter) in fresh.namedParameters() {
            #expect(try identical(parameter.tensor, NNRefs.tensor("adamw.init.\(name)")))
        }
    }

    @Test func stateSurvivesASafetensorsRoundTrip() throws {
        let model = try TwoPartModel.reference()
        let optimizer = try makeOptimizer(model)
        try runSteps(0..<3, model, optimizer)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nn-adamw-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var checkpoint = try optimizer.stateDict()
        for (name, tensor) in model.stateDict() { checkpoint["model." + name] = tensor }
        #expect(checkpoint["optimizer.block.weight.exp_avg"] != nil && checkpoint["optimizer.head.bias.step"] != nil)
        try SafeTensors.save(checkpoint, to: path)

        let loaded = try SafeTensors.load(path).tensors
        let resumed = try TwoPartModel.reference()
        var weights: [String: Tensor] = [:]
        for (key, tensor) in loaded where key.hasPrefix("model.") { weights[String(key.dropFirst(6))] = tensor }
        try resumed.loadStateDict(weights)
        let resumedOptimizer = try makeOptimizer(resumed)
        try resumedOptimizer.loadStateDict(loaded)
        #expect(resumedOptimizer.state["head.bias"]?.step == 2)
        try runSteps(3..<steps, resumed, resumedOptimizer)
        try runSteps(3..<steps, model, optimizer)
        for ((name, a), (_, b)) in zip(resumed.namedParameters(), model.namedParameters()) {
            #expect(try identical(a.tensor, b.tensor), "\(name) differs after resuming")
            try expectMatches(a.tensor, "adamw.param.\(steps - 1).\(name)", tolerance: Self.parameterTolerance)
        }
    }

    @Test func mismatchedStateIsRejectedByName() throws {
        let model = try TwoPartModel.reference()
        let optimizer = try makeOptimizer(model)
        try runSteps(0..<2, model, optimizer)
        let before = try optimizer.stateDict().mapValues { try $0.clone() }

        var bad = before
        bad["optimizer.block.weight.exp_avg"] = try Tensor.zeros([4, 3])
        bad["optimizer.head.bias.exp_avg_sq"] = nil
        bad["optimizer.gone.weight.exp_avg"] = try Tensor.zeros([2])
        bad["optimizer.block.nodecay_weight.step"] = try Tensor([Int64(0)], shape: [])
        bad["model.block.weight"] = try Tensor.zeros([1])  // outside the prefix: ignored
        let message = try #require(thrownMessage { try optimizer.loadStateDict(bad) })
        #expect(message.contains("wrong shape of optimizer.block.weight.exp_avg"))
        #expect(message.contains("missing optimizer.head.bias.exp_avg_sq"))
        #expect(message.contains("unexpected key optimizer.gone.weight.exp_avg"))
        #expect(message.contains("invalid optimizer.block.nodecay_weight.step"))
        #expect(!message.contains("model.block.weight"))
        let after = try optimizer.stateDict()
        #expect(Set(after.keys) == Set(before.keys))
        for (key, tensor) in before { #expect(try identical(#require(after[key]), tensor), "\(key) changed") }
    }

    @Test func invalidSettingsThrow() throws {
        let model = try TwoPartModel.reference()
        let named = model.namedParameters()
        #expect(thrownMessage { _ = try AdamW(named, betas: (1, 0.9)) } != nil)
        #expect(thrownMessage { _ = try AdamW(named, learningRate: -1) } != nil)
        let duplicated = [ParameterGroup(named), ParameterGroup([named[0]])]
        #expect(thrownMessage { _ = try AdamW(groups: duplicated) }?.contains("block.weight") == true)
    }

    @Test func zeroGradClearsGradients() throws {
        let model = try TwoPartModel.reference()
        let optimizer = try makeOptimizer(model)
        try (model.block.parameters[0].tensor * 2.0).sum().backward()
        #expect(model.block.parameters[0].grad != nil)
        try optimizer.zeroGrad()
        #expect(model.parameters.allSatisfy { $0.grad == nil })
    }

    @Test func clipGradNormMatchesPyTorch() throws {
        for label in ["small", "large"] {
            let holder = try Holder([("a", Tensor.zeros([3, 4])), ("b", Tensor.zeros([5])), ("unused", Tensor.zeros([2]))])
            let params = holder.parameters
            try params[0].tensor.setGrad(NNRefs.tensor("clip.grad0"))
            try params[1].tensor.setGrad(NNRefs.tensor("clip.grad1"))
            let total = try clipGradNorm(params, maxNorm: label == "small" ? 1 : 100)
            let expected = try NNRefs.tensor("clip.\(label).total").item()
            // The norm of 17 gradients: 17 squares summed, two norms combined and a square root (20
            // roundings, no cancellation); a clipped gradient is scaled by max / (norm + 1e-6): 3 more.
            let normTolerance = Float32Tolerance.depth(20)
            #expect(abs(total - expected) <= normTolerance * expected, "\(label): total norm \(total), PyTorch \(expected)")
            try expectMatches(#require(params[0].grad), "clip.\(label).grad0", tolerance: Float32Tolerance.depth(23))
            try expectMatches(#require(params[1].grad), "clip.\(label).grad1", tolerance: Float32Tolerance.depth(23))
        }
    }
}
