import Foundation
import Testing
import Torch

/// `dimr train` as a newcomer meets it: one run per output folder, Ctrl-C, logs through a pipe, recipes,
/// `--version` and `info --presets`.
@Suite struct TrainRunTests {
    private func arguments(_ root: String, steps: Int, extra: [String] = []) -> [String] {
        ["train", "--dataset", root + "/tiny-folder", "--preset", "fmnist-2r", "--batch-size", "2", "--steps", String(steps),
         "--log-every", "1", "--output", root + "/OUT", "--threads", "1"] + extra
    }

    @Test("a second run on a locked folder is refused naming the holder; a killed holder's lock and temporary files are taken over")
    func outputLock() throws {
        let root = try tinyFolderCopy()
        let holder = try startDimr(arguments(root, steps: 1_000_000, extra: ["--checkpoint-every", "0"]))
        defer { if holder.process.isRunning { kill(holder.process.processIdentifier, SIGKILL) } }
        let metrics = root + "/OUT/metrics.jsonl"
        let training = waitFor(seconds: 60) { ((try? Data(contentsOf: URL(fileURLWithPath: metrics)))?.count ?? 0) > 0 }
        try #require(training, "the first run did not start training")
        let second = try runDimr(arguments(root, steps: 2))
        #expect(second.status == 1)
        #expect(second.error.contains("in use by another run"), "\(second.error)")
        #expect(second.error.contains("pid \(holder.process.processIdentifier)"), "\(second.error)")

        kill(holder.process.processIdentifier, SIGKILL)
        holder.process.waitUntilExit()
        // A temporary file of a writer that was killed (its pid, the refused run's, no longer runs).
        let stale = root + "/OUT/checkpoints/.step-00000099.safetensors.tmp-\(second.pid)"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: stale))
        let third = try runDimr(arguments(root, steps: 1))
        #expect(third.status == 0, "\(third.error)")
        #expect(third.output.contains("removed"), "\(third.output)")
        #expect(!FileManager.default.fileExists(atPath: stale))
    }

    @Test("Ctrl-C (SIGTERM) saves a checkpoint and exits 130 (143); the run resumes from it",
          arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func interruptSavesAndExits(signal: Int32, status: Int32) throws {
        let root = try tinyFolderCopy()
        let run = try startDimr(arguments(root, steps: 1_000_000, extra: ["--checkpoint-every", "0"]))
        defer { if run.process.isRunning { kill(run.process.processIdentifier, SIGKILL) } }
        let metrics = root + "/OUT/metrics.jsonl"
        let training = waitFor(seconds: 60) { ((try? Data(contentsOf: URL(fileURLWithPath: metrics)))?.count ?? 0) > 0 }
        try #require(training)
        kill(run.process.processIdentifier, signal)
        let err = String(decoding: try run.stderr.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
        run.process.waitUntilExit()
        #expect(run.process.terminationStatus == status)
        #expect(err.contains("interrupted: checkpoint of step"))
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: root + "/OUT/checkpoints")
        try #require(checkpoints.count == 1, "\(checkpoints)")
        let saved = try SafeTensorsFile(path: root + "/OUT/checkpoints/" + checkpoints[0])
        let step = try #require(Int(saved.metadata["step"] ?? ""))
        let resumed = try runDimr(arguments(root, steps: step + 1))
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("resuming from"))
    }

    @Test("progress through a pipe: one plain line per interval, no carriage returns; --steps and the summary agree")
    func progressWithoutTerminal() throws {
        let root = try tinyFolderCopy()
        let result = try runDimr(arguments(root, steps: 4, extra: ["--log-every", "2"]))
        #expect(result.status == 0, "\(result.error)")
        #expect(!result.error.contains("\r") && !result.output.contains("\r"))
        #expect(!result.error.contains("\u{1B}["))
        let lines = result.error.split(separator: "\n").filter { $0.hasPrefix("step ") }
        #expect(lines.count == 2, "\(result.error)")
        #expect(lines.first?.hasPrefix("step 2/4 loss") == true)
        #expect(result.output.contains("done: step 4 of --steps 4 (4 this run)"), "\(result.output)")
        // The summary's loss is the one the progress showed last: the running mean, with the last step's beside it.
        let shown = lines.last?.split(separator: " ").drop { $0 != "loss" }.dropFirst().first.map(String.init) ?? "?"
        #expect(result.output.contains("loss \(shown) (mean of the last 4 steps; last step "), "\(result.output)")
        let help = try runDimr(["train", "--help"])
        #expect(help.output.contains("one step = one batch"))
    }

    @Test("the fmnist presets default to the small recipe, the paper's to the authors'; options override")
    func recipes() throws {
        let root = try tinyFolderCopy()
        let result = try runDimr(arguments(root, steps: 1, extra: ["--warmup", "7"]))
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("recipe: small"))
        let training = try #require(try SafeTensorsFile(path: root + "/OUT/checkpoints/step-00000001.safetensors").metadata["training"])
        let values = try #require(try JSONSerialization.jsonObject(with: Data(training.utf8)) as? [String: Any])
        #expect(values["learningRate"] as? Double == 1e-3)
        #expect(values["emaRate"] as? Double == 0.999)
        #expect(values["emaWarmup"] as? Bool == true)
        #expect(values["gradClip"] as? Double == 1.0)
        #expect(values["warmupSteps"] as? Int == 7)
        let help = try runDimr(["train", "--help"])
        #expect(help.output.contains("5000"), "the help should say what the authors' recipe is")
    }

    @Test func versionAndPresets() throws {
        let version = try runDimr(["--version"])
        #expect(version.status == 0)
        #expect(version.output.hasPrefix("dimr "))
        #expect(version.output.contains("libtorch"))
        let presets = try runDimr(["info", "--presets"])
        #expect(presets.status == 0)
        for name in ["DiMR-XL/2R", "DiMR-G/2R", "fmnist-2r", "fmnist-3r", "bench"] {
            #expect(presets.output.contains(name), "\(name) missing from \(presets.output)")
        }
        #expect(presets.output.contains("1,315,555 parameters"))
    }
}
