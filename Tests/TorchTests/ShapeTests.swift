import Testing
import Torch

@Suite("Shape operations and dtype conversion match PyTorch")
struct ShapeTests {
    let a: Tensor, b: Tensor

    init() throws {
        a = try Refs.input("a")  // (2, 3, 4)
        b = try Refs.input("b")  // (3, 1)
    }

    @Test func reshapeViewPermuteTranspose() throws {
        try expectMatches(try a.reshape([4, -1]), "reshape", tolerance: 0)
        try expectMatches(try a.view([4, 6]), "reshape", tolerance: 0)
        let p = try a.permute([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        #expect(p.strides == [1, 12, 4])
        try expectMatches(try p.contiguous(), "permute", tolerance: 0)
        #expect(try p.contiguous().strides == [6, 3, 1])
        try expectMatches(try a.transpose(0, 2).contiguous(), "transpose", tolerance: 0)
        // A non-contiguous tensor cannot be viewed, but can be reshaped.
        #expect(throws: TorchError.self) { try p.view([24]) }
        #expect(try p.reshape([24]).shape == [24])
        // Views share storage with their base.
        let base = try Tensor.zeros([2, 3])
        try base.view([6]).fill_(3)
        #expect(try base.toArray() == [Float](repeating: 3, count: 6))
    }

    @Test func catStackChunkSplitNarrow() throws {
        try expectMatches(try Tensor.cat([a, a * 2.0], dim: 1), "cat", tolerance: 0)
        try expectMatches(try Tensor.stack([a, -a], dim: 1), "stack", tolerance: 0)
        try expectMatches(try a.narrow(dim: 2, start: 1, length: 2).contiguous(), "narrow", tolerance: 0)
        let chunks = try a.chunk(2, dim: 1)
        #expect(chunks.map(\.shape) == [[2, 2, 4], [2, 1, 4]])
        try expectIdentical(try Tensor.cat(chunks, dim: 1), a, "chunks joined")
        let parts = try a.split(sizes: [1, 3], dim: 2)
        #expect(parts.map(\.shape) == [[2, 3, 1], [2, 3, 3]])
        try expectIdentical(try parts[1].contiguous(), try a.narrow(dim: 2, start: 1, length: 3).contiguous(), "split")
        #expect(throws: TorchError.self) { try a.split(sizes: [1, 1], dim: 2) }
    }

    @Test func indexSelectGather() throws {
        try expectMatches(try a.indexSelect(dim: 1, index: Refs.input("sel")), "index_select", tolerance: 0)
        try expectMatches(try a.gather(dim: 2, index: Refs.input("gidx")), "gather", tolerance: 0)
    }

    @Test func repeatExpand() throws {
        try expectMatches(try b.repeat([2, 1, 3]), "repeat", tolerance: 0)
        let e = try b.expand([2, 3, 4])
        #expect(e.strides == [0, 1, 0])
        try expectMatches(try e.contiguous(), "expand", tolerance: 0)
        #expect(throws: TorchError.self) { try a.expand([5, 3, 4]) }
    }

    @Test(arguments: [(DType.float64, "float64"), (.bfloat16, "bfloat16"), (.float16, "float16"),
                      (.int64, "int64"), (.bool, "bool")])
    func conversion(dtype: DType, name: String) throws {
        let source = try Refs.input("cast_src")
        let converted = try source.to(dtype)
        #expect(converted.dtype == dtype)
        try expectMatches(converted, "to_\(name)", tolerance: 0)
        // Back to float32 gives what PyTorch's round trip gives.
        try expectIdentical(try converted.to(.float32), try Refs.tensor("out.to_\(name)").to(.float32), "\(name) -> float32")
    }

    @Test func narrowingFloat64ToFloat32() throws {
        let source = try Refs.input("cast_src").to(.float64)
        try expectMatches(try (source * (1.0 / 3.0)).to(.float32), "f64_to_f32", tolerance: 0)
        let same = try source.to(.float64)
        #expect(same.dtype == .float64)
        let copied = try source.to(.float64, copy: true)
        try copied.fill_(0)
        #expect(try source.abs().sum().item() > 0)
    }
}
