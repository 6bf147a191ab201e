import Datasets
import Foundation
import Testing
import Torch

/// Writes an image folder of 3 classes x 8 gray 8x8 PNGs and the tiny model's configuration.
private func makeTinyProject() throws -> (data: String, config: String, root: String) {
    let root = try temporaryFolder()
    let data = root + "/data"
    for c in 0..<3 {
        let folder = data + "/class\(c)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for i in 0..<8 {
            let pixels = (0..<64).map { UInt8(truncatingIfNeeded: ($0 * (c + 1) * 37 + i * 11) % 256) }
            try PNG.write(RasterImage(width: 8, height: 8, channels: 1, pixels: pixels), to: folder + "/\(i).png")
        }
    }
    let config = root + "/tiny.json"
    try tinyModelJSON.write(toFile: config, atomically: true, encoding: .utf8)
    return (data, config, root)
}

private func trainArguments(_ p: (data: String, config: String, root: String), steps: Int, extra: [String] = []) -> [String] {
    ["train", "--config", p.config, "--dataset", p.data, "--image-size", "8", "--steps", String(steps),
     "--batch-size", "4", "--warmup", "2", "--lr", "1e-3", "--checkpoint-every", "2", "--output", p.root + "/run",
     "--log-every", "1", "--threads", "1"] + extra
}

@Suite(.serialized) struct TrainSampleTests {
    @Test func trainResumeAndSample() throws {
        let p = try makeTinyProject()
        let first = try runDimr(trainArguments(p, steps: 4))
        #expect(first.status == 0, "train failed: \(first.error)")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: p.root + "/run/checkpoints").sorted()
        #expect(checkpoints == ["step-00000002.safetensors", "step-00000004.safetensors"])
        let metrics = try String(contentsOfFile: p.root + "/run/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 4)

        // Running again with more steps resumes from step 4.
        let second = try runDimr(trainArguments(p, steps: 6))
        #expect(second.status == 0, "resume failed: \(second.error)")
        #expect(second.output.contains("resuming from"))
        #expect(second.output.contains("step 6"))

        let out = p.root + "/samples"
        let sample = try runDimr(["sample", p.root + "/run/checkpoints/step-00000006.safetensors", "--per-class", "2",
                                  "--steps", "4", "--guidance", "constant", "--scale", "1.0", "--output", out, "--threads", "1"])
        #expect(sample.status == 0, "sample failed: \(sample.error)")
        #expect(sample.output.contains("guidance"))
        #expect(sample.output.contains("cond + 1.0 (cond - uncond)") || sample.output.contains("constant"))
        let grid = try PNG.read(out + "/grid.png")
        // Two tiles of 8 + 2 padding per row, plus a margin for the class names ("CLASS0": 6 characters of 4 pixels,
        // plus 1, at scale 2); three class rows.
        #expect(grid.width == (6 * 4 + 1) * 2 + 2 * 10 + 2 && grid.height == 3 * 10 + 2)
        // The margin carries the labels: white pixels in row 1's label area, none in an empty spot.
        let labelPixels = (12..<22).flatMap { y in (0..<10).map { x in grid[x, y, 0] } }
        #expect(labelPixels.contains(255))
        #expect(grid[0, 0, 0] == 0)
        let singles = try FileManager.default.contentsOfDirectory(atPath: out + "/images")
        #expect(singles.count == 6)
        let npz = try NPZ.read(out + "/samples.npz")
        #expect(npz["arr_0"]?.shape == [6, 8, 8, 3])
        #expect(npz["arr_1"]?.shape == [6])
    }

    @Test func changedOptionsRefuseToResume() throws {
        let p = try makeTinyProject()
        #expect(try runDimr(trainArguments(p, steps: 2)).status == 0)
        let other = try runDimr(trainArguments(p, steps: 4, extra: ["--weight-decay", "0.1"]))
        #expect(other.status != 0)
        #expect(other.error.contains("another configuration"))
    }

    /// `--change-recipe`: a resume may lower the learning rate (and only the recipe), the change is printed, applied
    /// from the restored step on, recorded in the checkpoints and carried by `dimr export`.
    @Test func changeRecipeLetsAResumeChangeTheLearningRate() throws {
        let p = try makeTinyProject()
        #expect(try runDimr(trainArguments(p, steps: 2)).status == 0)
        let lower = trainArguments(p, steps: 4).map { $0 == "1e-3" ? "2.5e-4" : $0 }
        let refused = try runDimr(lower)
        #expect(refused.status != 0)
        #expect(refused.error.contains("--lr: 0.001 in the checkpoint, 0.00025 in this run") && refused.error.contains("--change-recipe"), "\(refused.error)")

        // Not the recipe: still refused with the flag.
        let seed = try runDimr(trainArguments(p, steps: 4, extra: ["--seed", "7", "--change-recipe"]))
        #expect(seed.status != 0)
        #expect(seed.error.contains("--seed: 0 in the checkpoint, 7 in this run"), "\(seed.error)")

        let changed = try runDimr(lower + ["--change-recipe"])
        #expect(changed.status == 0, "\(changed.error)")
        #expect(changed.output.contains("recipe changed at step 2 (--change-recipe): --lr: 0.001 in the checkpoint, 0.00025 in this run"), "\(changed.output)")
        let records = try String(contentsOfFile: p.root + "/run/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
        let rates = records.compactMap { record -> (Int, Double)? in
            guard let step = record["step"] as? Int, let lr = record["lr"] as? Double else { return nil }
            return (step, lr)
        }
        #expect(rates.map(\.0) == [1, 2, 3, 4])
        // Warm-up of 2 steps: lr * min(k / 2, 1) at the k-th step from 0; the new rate from step 3 on.
        #expect(rates.map(\.1) == [0, 5e-4, 2.5e-4, 2.5e-4])

        let checkpoint = try SafeTensorsFile(path: p.root + "/run/checkpoints/step-00000004.safetensors")
        #expect(checkpoint.metadata["recipe_changes"] == #"["step 2: --lr: 0.001 in the checkpoint, 0.00025 in this run"]"#)
        // The checkpoint now holds the new recipe: resuming with it needs no flag, and the history stays.
        #expect(try runDimr(trainArguments(p, steps: 6).map { $0 == "1e-3" ? "2.5e-4" : $0 }).status == 0)
        let later = try SafeTensorsFile(path: p.root + "/run/checkpoints/step-00000006.safetensors")
        #expect(later.metadata["recipe_changes"] == checkpoint.metadata["recipe_changes"])
        let exported = p.root + "/exported.safetensors"
        #expect(try runDimr(["export", p.root + "/run/checkpoints/step-00000006.safetensors", exported]).status == 0)
        #expect(try SafeTensorsFile(path: exported).metadata["recipe_changes"] == checkpoint.metadata["recipe_changes"])
    }

    @Test func badInputsAreClearErrors() throws {
        let missing = try runDimr(["sample", "/nonexistent/model.safetensors"])
        #expect(missing.status != 0)
        #expect(missing.error.contains("/nonexistent/model.safetensors: No such file or directory"), "\(missing.error)")
        let root = try temporaryFolder()
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: root + "/bad.safetensors"))
        let corrupt = try runDimr(["sample", root + "/bad.safetensors"])
        #expect(corrupt.status != 0)
        #expect(corrupt.error.contains("neither safetensors nor a PyTorch checkpoint"), "\(corrupt.error)")
        let preset = try runDimr(["train", "--preset", "no-such-preset", "--output", root + "/x"])
        #expect(preset.status != 0)
        #expect(preset.error.contains("unknown preset"))
    }

    /// Kills a training process while it writes checkpoints: every checkpoint left under its final
    /// name must be complete, and the newest one must resume.
    @Test func killedWriterLeavesReadableCheckpoints() throws {
        let p = try makeTinyProject()
        #expect(try runDimr(trainArguments(p, steps: 2)).status == 0)
        for delay in [0.6, 1.1, 1.7] {
            let started = try startDimr(trainArguments(p, steps: 100_000, extra: ["--checkpoint-every", "1", "--keep", "2"]))
            Thread.sleep(forTimeInterval: delay)
            kill(started.process.processIdentifier, SIGKILL)
            started.process.waitUntilExit()
            let folder = p.root + "/run/checkpoints"
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".safetensors") && name.hasPrefix("step-") {
                let file = try SafeTensorsFile(path: folder + "/" + name)
                #expect(file.metadata["step"] != nil)
                _ = try file.tensors()
            }
        }
        let resumed = try runDimr(trainArguments(p, steps: 1, extra: ["--keep", "2"]))
        #expect(resumed.status == 0, "\(resumed.error)")
    }
}
