import Testing
import Torch
@testable import NN

@Suite("Exponential moving average")
struct EMATests {
    /// Replays the reference optimizer run and checks both EMA variants after every step.
    @Test func matchesTheAuthorsUpdate() throws {
        let model = try TwoPartModel.reference()
        let fixed = try ExponentialMovingAverage(of: model, decay: .fixed(0.9999))
        let warm = try ExponentialMovingAverage(of: model, decay: .warmup(0.9999))
        #expect(warm.currentDecay == 0.1)
        for k in 0..<5 {
            // Set the parameters to the reference trajectory instead of re-running the optimizer.
            var state: [String: Tensor] = [:]
            for name in model.stateDict().keys { state[name] = try NNRefs.tensor("adamw.param.\(k).\(name)") }
            try model.loadStateDict(state)
            try fixed.update(from: model)
            try warm.update(from: model)
            // Bit for bit: each operation rounds once, so this holds on any CPU, and it tells the authors'
            // `mul_(rate).add_((1 - rate) * p)` apart from `add_(p, alpha: 1 - rate)` or `lerp_`.
            for (name, average) in fixed.stateDict() { try expectMatches(average, "ema.fixed.\(k).\(name)", tolerance: 0) }
            for (name, average) in warm.stateDict() { try expectMatches(average, "ema.warmup.\(k).\(name)", tolerance: 0) }
        }
        #expect(fixed.updateCount == 5)
        #expect(abs(warm.currentDecay - 6.0 / 15.0) < 1e-15)
    }

    @Test func startsAsACopyAndCopiesIntoAModel() throws {
        let model = try TwoPartModel.reference()
        let ema = try ExponentialMovingAverage(of: model)
        for (name, parameter) in model.namedParameters() {
            let average = try #require(ema.stateDict()[name])
            #expect(try identical(average, parameter.tensor))
            #expect(!average.requiresGrad)
        }
        // Changing the model afterwards leaves the average alone; copying writes it back.
        try withNoGrad { for p in model.parameters { try p.tensor.fill_(7) } }
        #expect(try ema.stateDict()["head.bias"].map { try $0.max().item() } != 7)
        let target = try TwoPartModel.reference()
        try withNoGrad { for p in target.parameters { try p.tensor.zero_() } }
        try ema.copy(to: target)
        for (name, parameter) in target.namedParameters() {
            #expect(try identical(parameter.tensor, NNRefs.tensor("adamw.init.\(name)")), "\(name)")
            #expect(parameter.tensor.requiresGrad)
        }
    }

    @Test func stateRoundTripAndMismatches() throws {
        let model = try TwoPartModel.reference()
        let ema = try ExponentialMovingAverage(of: model, decay: .warmup(0.999))
        try ema.update(from: model)
        let exported = ema.stateDict(prefix: "ema.")
        #expect(Set(exported.keys) == Set(names.map { "ema." + $0 }))

        let other = try ExponentialMovingAverage(of: TwoPartModel.reference(), decay: .warmup(0.999))
        try other.loadStateDict(exported, prefix: "ema.", updateCount: ema.updateCount)
        #expect(other.updateCount == 1 && other.currentDecay == ema.currentDecay)

        var bad = exported
        bad["ema.head.bias"] = nil
        bad["ema.extra"] = try Tensor.zeros([1])
        bad["ema.block.weight"] = try Tensor.zeros([4, 3])
        let message = try #require(thrownMessage { try other.loadStateDict(bad, prefix: "ema.") })
        #expect(message.contains("ema.head.bias") && message.contains("ema.extra") && message.contains("ema.block.weight"))
        #expect(try identical(#require(other.stateDict()["head.bias"]), #require(exported["ema.head.bias"])))

        let wrongModel = try TwoPartModel(block: [("weight", Tensor.zeros([3, 4]))], head: [("bias", Tensor.zeros([2, 2]))])
        #expect(thrownMessage { try ema.update(from: wrongModel) }?.contains("block.nodecay_weight") == true)
    }
}

private let names = ["block.weight", "block.nodecay_weight", "head.bias"]
