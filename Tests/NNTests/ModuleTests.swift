import Testing
import Torch
@testable import NN

/// A time-dependent parameter pair, named like the DiMR authors' (`param0`, `param1`).
private final class Pair: Module, @unchecked Sendable {
    init(_ dim: Int) throws {
        super.init()
        try register("param0", tensor: Tensor.ones([dim]))
        try register("param1", tensor: Tensor.zeros([dim]))
    }
}

private final class Norm: Module, @unchecked Sendable {
    let scale: Pair
    init(_ dim: Int) throws {
        scale = try Pair(dim)
        super.init()
        register("scale", scale)
    }
}

private final class Block: Module, @unchecked Sendable {
    let norm: Norm
    let proj: Linear
    let dropout: Dropout
    init(_ dim: Int) throws {
        norm = try Norm(dim)
        proj = try Linear(dim, dim, generator: Generator(seed: 5))
        dropout = try Dropout(0.1)
        super.init()
        register("norm", norm)
        register("proj", proj)
        register("dropout", dropout)
    }
}

private final class Stage: Module, @unchecked Sendable {
    let blocks: ModuleList<Wrapper>
    init(blocks count: Int, dim: Int) throws {
        blocks = ModuleList(try (0..<count).map { _ in try Wrapper(dim) })
        super.init()
        register("blocks", blocks)
    }
}

private final class Wrapper: Module, @unchecked Sendable {
    let block1: Block
    init(_ dim: Int) throws {
        block1 = try Block(dim)
        super.init()
        register("block1", block1)
        register("running", buffer: try Tensor.zeros([2]))
    }
}

private final class Net: Module, @unchecked Sendable {
    let stages: ModuleList<Stage>
    init(dims: (Int, Int) = (3, 2)) throws {
        stages = ModuleList([try Stage(blocks: 2, dim: dims.0), try Stage(blocks: 4, dim: dims.1)])
        super.init()
        register("stages", stages)
    }
}

@Suite("Module state dicts and modes")
struct ModuleTests {
    @Test func hierarchicalNames() throws {
        let net = try Net()
        let names = net.namedParameters().map(\.name)
        #expect(names.contains("stages.0.blocks.3.block1.norm.scale.param0") == false)
        #expect(names.contains("stages.1.blocks.3.block1.norm.scale.param0"))
        #expect(Array(names.prefix(4)) == ["stages.0.blocks.0.block1.norm.scale.param0", "stages.0.blocks.0.block1.norm.scale.param1",
                                           "stages.0.blocks.0.block1.proj.weight", "stages.0.blocks.0.block1.proj.bias"])
        #expect(names.count == 6 * 4)
        #expect(net.namedBuffers().map(\.name).contains("stages.1.blocks.2.running"))
        #expect(Set(net.stateDict().keys).count == 6 * 4 + 6)
        #expect(net.parameterCount == 2 * (3 + 3 + 9 + 3) + 4 * (2 + 2 + 4 + 2))
    }

    @Test func strictLoadingReportsEveryProblemAndChangesNothing() throws {
        let net = try Net()
        let before = try net.stateDict().mapValues { try $0.clone() }
        var state = try before.mapValues { try $0 + 1.0 }
        state["stages.1.blocks.3.block1.norm.scale.param0"] = nil
        state["stages.0.blocks.0.block1.proj.weight"] = try Tensor.zeros([3, 4])
        state["stages.2.blocks.0.block1.norm.scale.param0"] = try Tensor.zeros([3])
        let message = try #require(thrownMessage { try net.loadStateDict(state) })
        #expect(message.contains("missing keys: stages.1.blocks.3.block1.norm.scale.param0"))
        #expect(message.contains("unexpected keys: stages.2.blocks.0.block1.norm.scale.param0"))
        #expect(message.contains("stages.0.blocks.0.block1.proj.weight: checkpoint [3, 4], model [3, 3]"))
        for (name, tensor) in net.stateDict() {
            #expect(try identical(tensor, #require(before[name])), "\(name) changed by a failed load")
        }
        // A wrong shape fails even when not strict; without it, non-strict loading fills what it can.
        #expect(thrownMessage { try net.loadStateDict(state, strict: false) } != nil)
        state["stages.0.blocks.0.block1.proj.weight"] = nil
        try net.loadStateDict(state, strict: false)
        let loaded = net.stateDict()
        let changed = try #require(loaded["stages.0.blocks.1.block1.proj.bias"])
        #expect(try identical(changed, #require(state["stages.0.blocks.1.block1.proj.bias"])))
        #expect(try identical(#require(loaded["stages.0.blocks.0.block1.proj.weight"]),
                              #require(before["stages.0.blocks.0.block1.proj.weight"])))
        #expect(net.parameters.allSatisfy { $0.tensor.requiresGrad && $0.tensor.isLeaf })
    }

    @Test func trainAndEvalPropagate() throws {
        let net = try Net()
        #expect(net.namedModules().allSatisfy { $0.module.isTraining })
        net.eval()
        #expect(net.namedModules().allSatisfy { !$0.module.isTraining })
        let dropout = net.stages[1].blocks[2].block1.dropout
        let x = try Tensor.randn([4, 8], generator: Generator(seed: 9))
        #expect(try identical(dropout(x), x))
        net.train()
        #expect(dropout.isTraining && net.stages[0].isTraining)
    }
}

@Suite("Building for a checkpoint")
struct LoadingWithoutInitialisationTests {
    @Test("Init.skipping draws nothing and assign-loading takes the given tensors")
    func skipAndAssign() throws {
        let used = try Generator(seed: 3), fresh = try Generator(seed: 3)
        let layer = try Init.skipping { try Linear(4, 3, generator: used) }
        // No number was drawn: the generator is where a fresh one is.
        #expect(try identical(Tensor.randn([5], generator: used), Tensor.randn([5], generator: fresh)))
        let weight = try Tensor.randn([3, 4], generator: Generator(seed: 4))
        let bias = try Tensor.randn([3], dtype: .float64, generator: Generator(seed: 5))
        try layer.loadStateDict(["weight": weight, "bias": bias], assign: true)
        #expect(try identical(layer.weight.tensor.detach(), weight))
        #expect(layer.bias?.tensor.dtype == .float32, "assigned tensors take the parameter's dtype")
        #expect(try identical(#require(layer.bias).tensor.detach(), bias.to(.float32)))
        #expect(layer.weight.tensor.requiresGrad)
        // Strict checks still apply before anything is assigned.
        #expect(throws: TorchError.self) { try layer.loadStateDict(["weight": weight], assign: true) }
    }
}
