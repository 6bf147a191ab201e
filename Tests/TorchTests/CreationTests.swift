import Testing
import TestSupport
import Torch

@Suite("Creation and random numbers match PyTorch")
struct CreationTests {
    @Test func zerosOnesFull() throws {
        let z = try Tensor.zeros([2, 3])
        #expect(z.shape == [2, 3])
        #expect(z.dtype == .float32)
        #expect(try z.toArray() == [Float](repeating: 0, count: 6))
        let o = try Tensor.ones([4], dtype: .int64)
        #expect(try o.toArray() == [Int64](repeating: 1, count: 4))
        try expectMatches(try Tensor.full([2, 3], 2.5), "full", tolerance: 0)  // 2.5 is exact
        let d = try Tensor.full([1, 2], -1.25, dtype: .float64)
        #expect(try d.toArray() == [-1.25, -1.25])
    }

    @Test func arangeAndLinspace() throws {
        try expectMatches(try Tensor.arange(0, 10, step: 3), "arange_int", tolerance: 0)
        // 0.5 + 0.25 i is exact in float32.
        try expectMatches(try Tensor.arange(0.5, 2.0, step: 0.25, dtype: .float32), "arange_float", tolerance: 0)
        // start + i * step (or end - (n - 1 - i) * step for the upper half): two roundings.
        try expectMatches(try Tensor.linspace(-1, 1, steps: 7), "linspace", tolerance: Float32Tolerance.depth(2))
    }

    @Test func arraysRoundTrip() throws {
        let floats: [Float] = [1.5, -2, 3.25, 0, 7, -0.5]
        let t = try Tensor(floats, shape: [2, 3])
        #expect(t.shape == [2, 3])
        #expect(t.count == 6)
        #expect(try t.toArray() == floats)
        let ints: [Int64] = [3, -1, Int64.max, Int64.min]
        #expect(try Tensor(ints).toArray() == ints)
        let bools = [true, false, false, true]
        #expect(try Tensor(bools, shape: [2, 2]).toArray() == bools)
        let bytes: [UInt8] = [0, 255, 17]
        #expect(try Tensor(bytes).toArray() == bytes)
        let i32: [Int32] = [5, -6]
        #expect(try Tensor(i32).toArray() == i32)
        let doubles = [Double.pi, -1e300]
        #expect(try Tensor(doubles).toArray() == doubles)
        #expect(try Tensor.scalar(4.5).item() == 4.5)
        #expect(try Tensor([Int64(9)]).itemInt() == 9)
    }

    @Test func arrayShapeMismatchThrows() {
        #expect(throws: TorchError.self) { try Tensor([Float](repeating: 1, count: 5), shape: [2, 3]) }
        #expect(throws: TorchError.self) { try Tensor([Float](repeating: 1, count: 6), shape: [2, 3]).toArray() as [Double] }
    }

    @Test func defaultGeneratorMatchesTorchManualSeed() throws {
        // Tests running in parallel may draw from the shared default generator between the seed and
        // the draw, so a few attempts are allowed; one must give PyTorch's numbers exactly.
        let expected = try Refs.tensor("out.default_randn")
        var matched = false
        for _ in 0..<5 where !matched {
            Torch.manualSeed(0)
            let drawn = try Tensor.randn([2, 3])
            matched = try drawn.shape == expected.shape && drawn.bytes() == expected.bytes()
        }
        #expect(matched, "torch.manual_seed(0); torch.randn(2, 3) differs")
    }

    @Test func seededGeneratorMatchesTorchGenerator() throws {
        let g = try Generator(seed: 42)
        try expectMatches(try Tensor.randn([3, 4], generator: g), "gen_randn", tolerance: 0)
        try expectMatches(try Tensor.randn([4, 8], generator: g), "gen_randn_big", tolerance: 0)
        try expectMatches(try Tensor.rand([5], generator: g), "gen_rand", tolerance: 0)
        try expectMatches(try Tensor.randint(0, 10, [6], generator: g), "gen_randint", tolerance: 0)
        try expectMatches(try Tensor.randn([3], dtype: .float64, generator: g), "gen_randn_f64", tolerance: 0)
    }

    @Test func generatorReseedAndStateRestoreRepeatNumbers() throws {
        let g = try Generator(seed: 7)
        let first = try Tensor.randn([10], generator: g)
        try g.manualSeed(7)
        try expectIdentical(try Tensor.randn([10], generator: g), first, "after re-seeding")
        let state = try g.state()
        let next = try Tensor.rand([6], generator: g)
        #expect(try Tensor.rand([6], generator: g).bytes() != next.bytes())
        try g.setState(state)
        try expectIdentical(try Tensor.rand([6], generator: g), next, "after restoring the state")
    }
}
