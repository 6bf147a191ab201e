import Testing
import Torch

@Suite("Failures become TorchErrors with libtorch's message")
struct ErrorTests {
    @Test func addShapeMismatch() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4, 5])
        let error = #expect(throws: TorchError.self) { try a + b }
        #expect(error?.message.contains("must match the size of tensor b") == true, "\(String(describing: error))")
        // The failure is not left behind for the next call.
        #expect(try (a + a).shape == [2, 3])
    }

    @Test func matmulShapeMismatch() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4, 5])
        let error = #expect(throws: TorchError.self) { try a.matmul(b) }
        #expect(error?.message.contains("cannot be multiplied (2x3 and 4x5)") == true, "\(String(describing: error))")
    }

    @Test func otherLibtorchErrors() throws {
        let a = try Tensor.zeros([2, 3])
        #expect(throws: TorchError.self) { try a.reshape([5]) }
        #expect(throws: TorchError.self) { try a.permute([0]) }
        #expect(throws: TorchError.self) { try a.softmax(dim: 5) }
        #expect(throws: TorchError.self) { try Tensor.cat([a, try Tensor.zeros([3, 3])], dim: 1) }
        #expect(throws: TorchError.self) { try a.item() }
        let error = #expect(throws: TorchError.self) {
            try Tensor.zeros([1, 3, 4, 4]).conv2d(weight: try Tensor.zeros([2, 5, 3, 3]))
        }
        #expect(error?.message.isEmpty == false)
    }

    @Test func cudaOnCPUBuildIsAClearError() throws {
        if Torch.cudaAvailable {
            #expect(try Tensor.zeros([2], device: .cuda(0)).device == .cuda(0))
        } else {
            #expect(Torch.cudaDeviceCount == 0)
            let error = #expect(throws: TorchError.self) { try Tensor.zeros([2], device: .cuda(0)) }
            #expect(error?.message.contains("CUDA") == true, "\(String(describing: error))")
            #expect(throws: TorchError.self) { try Tensor.ones([2]).to(device: .cuda(0)) }
            #expect(throws: TorchError.self) { try Tensor.randn([2], device: .gpu) }
        }
        let error = #expect(throws: TorchError.self) { try Tensor.zeros([2], device: .cuda(99)) }
        #expect(error?.message.contains("CUDA") == true, "\(String(describing: error))")
    }

    @Test func deviceParsing() {
        #expect(Device(parsing: "cpu") == .cpu)
        #expect(Device(parsing: "cuda") == .cuda(0))
        #expect(Device(parsing: "cuda:3") == .cuda(3))
        #expect(Device(parsing: "cuda:-1") == nil)
        #expect(Device(parsing: "tpu") == nil)
    }
}
