import Foundation
import Testing
import TestSupport
import Torch

@Suite("Mixed precision (autocast)")
struct AutocastTests {
    @Test("a scope makes matrix multiplies bfloat16 and restores the setting, also after an error")
    func scope() throws {
        let g = try Generator(seed: 1)
        let x = try Tensor.randn([4, 8], generator: g), w = try Tensor.randn([3, 8], generator: g)
        #expect(!Autocast.isEnabled(on: .cpu))
        let inside = try Autocast.run(device: .cpu, dtype: .bfloat16) {
            #expect(Autocast.isEnabled(on: .cpu))
            let nested = try Autocast.run(device: .cpu, dtype: .bfloat16) { try x.linear(weight: w, bias: nil) }
            #expect(Autocast.isEnabled(on: .cpu), "leaving a nested scope keeps the outer one")
            let y = try x.linear(weight: w, bias: nil)
            let kept = try Autocast.suspended(device: .cpu) { try x.linear(weight: w, bias: nil) }
            #expect(kept.dtype == .float32, "a suspended part keeps its inputs' type")
            #expect(Autocast.isEnabled(on: .cpu), "leaving a suspended part restores autocast")
            #expect(try Autocast.suspendedOnCPU(for: x) { try x.linear(weight: w, bias: nil) }.dtype == .float32,
                    "a CPU tensor's part runs without autocast")
            #expect(Autocast.isEnabled(on: .cpu))
            // Elementwise operations are left alone: bfloat16 with float32 promotes to float32.
            #expect(try (y + x.narrow(dim: 1, start: 0, length: 3)).dtype == .float32)
            #expect(try x.sigmoid().dtype == .float32)
            return (y, nested)
        }
        #expect(inside.0.dtype == .bfloat16 && inside.1.dtype == .bfloat16)
        #expect(!Autocast.isEnabled(on: .cpu))
        #expect(try x.linear(weight: w, bias: nil).dtype == .float32)
        #expect(try Autocast.suspendedOnCPU(for: x) { Autocast.isEnabled(on: .cpu) } == false, "outside a scope: body as it is")
        struct Boom: Error {}
        #expect(throws: Boom.self) { try Autocast.run(device: .cpu, dtype: .bfloat16) { throw Boom() } }
        #expect(!Autocast.isEnabled(on: .cpu))
        #expect(throws: TorchError.self) { try Autocast.run(device: .cpu, dtype: .float64) { 0 } }
        #expect(try Precision.float32.run(on: .cpu) { try x.linear(weight: w, bias: nil) }.dtype == .float32)
        #expect(try Precision.bfloat16.run(on: .cpu) { try x.linear(weight: w, bias: nil) }.dtype == .bfloat16)
    }

    @Test("a bfloat16 linear layer is within the rounding bound of its float32 result, and outside float32's")
    func linearBound() throws {
        let k = 96
        let g = try Generator(seed: 2)
        let x = try Tensor.randn([16, k], generator: g), w = try Tensor.randn([32, k], generator: g) * 0.1
        let b = try Tensor.randn([32], generator: g)
        let reference = try x.to(.float64).linear(weight: w.to(.float64), bias: b.to(.float64))
        let ours = try Autocast.run(device: .cpu, dtype: .bfloat16) { try x.linear(weight: w, bias: b) }
        #expect(ours.dtype == .bfloat16)
        // Each term w x (and the bias) is rounded to bfloat16 in its factors (2 roundings) and the sum once
        // more (1): γ_3 at u = 2^-8; the exact products are summed in float32 (k + 1 terms, γ_{k+1} at 2^-24).
        // Relative to max |y| that scales by the condition max(|x| |w|^T + |b|) / max |y|.
        let magnitudes = try x.abs().to(.float64).linear(weight: w.abs().to(.float64), bias: b.abs().to(.float64))
        let condition = try Float32Tolerance.condition(magnitudes: magnitudes, result: reference)
        let gamma3 = BFloat16Tolerance.gamma(3)
        let bound = (gamma3 + (1 + gamma3) * Float32Tolerance.gamma(k + 1)) * condition
        let error = try ours.relativeError(to: reference)
        #expect(error <= bound, "error \(error), bound \(bound)")
        // A float32 evaluation would be within float32's own bound; this one is far outside it (bfloat16 ran).
        #expect(error > Float32Tolerance.depth(k + 1, condition: condition), "error \(error)")
    }

    @Test("a checkpointed block is recomputed in the precision of its forward pass")
    func checkpointRecomputesInForwardPrecision() throws {
        let g = try Generator(seed: 3)
        let w1 = try (Tensor.randn([16, 16], generator: g) * 0.25).requiresGrad(true)
        let w2 = try (Tensor.randn([16, 16], generator: g) * 0.25).requiresGrad(true)
        let x0 = try Tensor.randn([8, 16], generator: g).requiresGrad(true)
        let body: ([Tensor]) throws -> [Tensor] = { [try $0[0].linear(weight: w1, bias: nil).gelu().linear(weight: w2, bias: nil)] }

        func gradients(checkpointed: Bool) throws -> [Tensor] {
            for t in [w1, w2, x0] { try t.setGrad(nil) }
            let out = try Autocast.run(device: .cpu, dtype: .bfloat16) {
                let x = try x0 * 1  // a non-leaf input, as inside a network
                return checkpointed ? try Checkpoint.run([x], body)[0] : try body([x])[0]
            }
            try out.to(.float32).square().sum().backward()
            return try [w1, w2, x0].map { try #require($0.grad).clone() }
        }
        let plain = try gradients(checkpointed: false)
        let recomputed = try gradients(checkpointed: true)
        #expect(plain.allSatisfy { $0.dtype == .float32 }, "float32 leaves get float32 gradients")
        // The recomputation repeats the bfloat16 forward exactly; only the order in which autograd adds
        // gradients may differ (a few float32 roundings). Recomputed in float32 instead, the gradients would
        // move by bfloat16's 2^-8 relative.
        for (a, b) in zip(recomputed, plain) {
            #expect(try a.relativeError(to: b) <= Float32Tolerance.depth(16))
        }
    }

    @Test("bf16 is refused on a CPU without bfloat16 instructions, with a message; float32 and CUDA are not")
    func support() throws {
        #expect(throws: Never.self) { try Precision.bfloat16.checkSupport(on: .cpu, cpuSupportsBFloat16: true) }
        #expect(throws: Never.self) { try Precision.float32.checkSupport(on: .cpu, cpuSupportsBFloat16: false) }
        #expect(throws: Never.self) { try Precision.bfloat16.checkSupport(on: .cuda(0), cpuSupportsBFloat16: false) }
        do {
            try Precision.bfloat16.checkSupport(on: .cpu, cpuSupportsBFloat16: false)
            Issue.record("bf16 accepted on a CPU without bfloat16 instructions")
        } catch let error as TorchError {
            #expect(error.message.contains("AVX512-BF16") && error.message.contains("float32"), "\(error.message)")
        }
        #expect(Precision(rawValue: "bf16") == .bfloat16 && Precision(rawValue: "float32") == .float32)
        #expect(Precision(rawValue: "fp16") == nil)
    }

    @Test("libtorch's CPU feature table agrees with the kernel's (/proc/cpuinfo on Linux)")
    func cpuFeatures() throws {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else {
            // Not Linux on x86-64: the table must still answer, and a name it lacks reads false.
            #expect(!Torch.cpuHasFeature("no_such_feature"))
            return
        }
        let flags = Set(flagsLine.split(separator: ":").last?.split(separator: " ").map(String.init) ?? [])
        #expect(Torch.cpuHasFeature("avx2") == flags.contains("avx2"))
        let bfloat16 = flags.contains("avx512_bf16") || flags.contains("amx_bf16")
        #expect(Torch.cpuSupportsBFloat16 == bfloat16, "cpuinfo flags say bfloat16 instructions: \(bfloat16)")
        #expect(!Torch.cpuHasFeature("no_such_feature"))
    }
}
