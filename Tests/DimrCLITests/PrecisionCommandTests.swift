import Foundation
import Testing
import Torch

/// `--precision bf16` of `dimr train` and `dimr sample`: runs where the CPU has bfloat16 instructions, is
/// refused with a clear message (before any work) where it has none; checkpoints load in either precision.
@Suite(.serialized) struct PrecisionCommandTests {
    private func trainArguments(_ root: String, steps: Int, _ extra: [String]) -> [String] {
        ["train", "--preset", "fmnist-2r", "--dataset", root + "/tiny-folder", "--steps", String(steps),
         "--batch-size", "2", "--warmup", "1", "--checkpoint-every", "0", "--output", root + "/run", "--threads", "1"] + extra
    }

    private func sampleArguments(_ root: String, _ checkpoint: String, _ output: String, _ extra: [String]) -> [String] {
        ["sample", checkpoint, "--per-class", "1", "--steps", "3", "--output", root + "/" + output, "--threads", "1"] + extra
    }

    @Test func bf16TrainsAndSamplesAndItsCheckpointsLoadInFloat32() throws {
        let root = try tinyFolderCopy()
        let checkpoint = root + "/run/checkpoints/step-00000002.safetensors"
        guard Torch.cpuSupportsBFloat16 else {
            let train = try runDimr(trainArguments(root, steps: 2, ["--precision", "bf16"]))
            #expect(train.status != 0)
            #expect(train.error.contains("--precision bf16") && train.error.contains("AVX512-BF16"), "\(train.error)")
            #expect(!FileManager.default.fileExists(atPath: root + "/run"), "refused after starting work")
            #expect(try runDimr(trainArguments(root, steps: 2, [])).status == 0)
            let sample = try runDimr(sampleArguments(root, checkpoint, "S", ["--precision", "bf16"]))
            #expect(sample.status != 0)
            #expect(sample.error.contains("--precision bf16"), "\(sample.error)")
            return
        }
        let train = try runDimr(trainArguments(root, steps: 2, ["--precision", "bf16"]))
        #expect(train.status == 0, "\(train.error)")
        #expect(train.output.contains("bf16 precision"), "\(train.output)")
        let file = try SafeTensorsFile(path: checkpoint)
        #expect(file.metadata["precision"] == "bf16")
        #expect(file.entries.values.filter { $0.dtype.isFloatingPoint }.allSatisfy { $0.dtype == .float32 }, "float32 checkpoint")

        // Resumed in float32, and both checkpoints sampled in either precision.
        let resumed = try runDimr(trainArguments(root, steps: 3, ["--precision", "float32"]))
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("resuming from") && resumed.output.contains("float32 precision"))
        for (path, precision) in [(checkpoint, "float32"), (root + "/run/checkpoints/step-00000003.safetensors", "bf16")] {
            let sample = try runDimr(sampleArguments(root, path, "S-" + precision, ["--precision", precision]))
            #expect(sample.status == 0, "\(sample.error)")
            #expect(sample.output.contains("\(precision) precision"), "\(sample.output)")
            #expect(FileManager.default.fileExists(atPath: root + "/S-\(precision)/samples.npz"))
        }
    }
}
