import Foundation
import Testing

/// Resuming `dimr train`: the same data under another path spelling resumes, a real change is refused
/// naming each field with both values, and the running loss average continues.
@Suite struct ResumeTests {
    private func train(_ dataset: String, steps: Int, output: String, in directory: String, extra: [String] = []) throws -> RunResult {
        try runDimr(["train", "--dataset", dataset, "--preset", "fmnist-2r", "--batch-size", "2", "--steps", String(steps),
                     "--log-every", "1", "--output", output, "--threads", "1"] + extra, directory: directory)
    }

    @Test("the same folder given as relative, ./relative/, absolute or moved resumes")
    func otherSpellingsResume() throws {
        let root = try tinyFolderCopy()
        let first = try train("tiny-folder", steps: 1, output: "OUT", in: root)
        #expect(first.status == 0, "\(first.error)")
        var step = 1
        for spelling in ["./tiny-folder/", root + "/tiny-folder", root + "//tiny-folder/"] {
            step += 1
            let again = try train(spelling, steps: step, output: "OUT", in: root)
            #expect(again.status == 0, "\(spelling): \(again.error)")
            #expect(again.output.contains("resuming from"), "\(spelling): \(again.output)")
        }
        try FileManager.default.moveItem(atPath: root + "/tiny-folder", toPath: root + "/elsewhere")
        let moved = try train(root + "/elsewhere", steps: step + 1, output: "OUT", in: root)
        #expect(moved.status == 0, "\(moved.error)")
        #expect(moved.output.contains("step \(step + 1) of --steps \(step + 1)"))
    }

    @Test("a real change is refused naming each differing field with both values")
    func changesAreNamed() throws {
        let root = try tinyFolderCopy()
        #expect(try train("tiny-folder", steps: 1, output: "OUT", in: root).status == 0)
        try FileManager.default.copyItem(atPath: root + "/tiny-folder/a/00.png", toPath: root + "/tiny-folder/a/05.png")
        let changed = try train("tiny-folder", steps: 2, output: "OUT", in: root, extra: ["--lr", "0.002", "--weight-decay", "0.1"])
        #expect(changed.status == 1)
        #expect(changed.error.contains("--lr: 0.001 in the checkpoint, 0.002 in this run"), "\(changed.error)")
        #expect(changed.error.contains("--weight-decay: 0.03 in the checkpoint, 0.1 in this run"), "\(changed.error)")
        #expect(changed.error.contains("training data: image folder of 10 images"), "\(changed.error)")
        #expect(changed.error.contains("image folder of 11 images"), "\(changed.error)")
        // Options that do not change the run (how long, how often to save) are not compared.
        try FileManager.default.removeItem(atPath: root + "/tiny-folder/a/05.png")
        let same = try train("tiny-folder", steps: 2, output: "OUT", in: root, extra: ["--checkpoint-every", "7", "--keep", "2"])
        #expect(same.status == 0, "\(same.error)")
    }

    @Test("a file of the same name but another size is other data")
    func changedFileIsOtherData() throws {
        let root = try tinyFolderCopy()
        #expect(try train("tiny-folder", steps: 1, output: "OUT", in: root).status == 0)
        let path = root + "/tiny-folder/b/04.png", other = root + "/tiny-folder/a/00.png"
        let sizes = try [path, other].map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int }
        // The two images differ in size; otherwise this swap would be invisible to the fingerprint.
        try #require(sizes[0] != sizes[1])
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: other, toPath: path)
        let changed = try train("tiny-folder", steps: 2, output: "OUT", in: root)
        #expect(changed.status == 1)
        #expect(changed.error.contains("training data"), "\(changed.error)")
    }

    /// loss_avg is the mean of the last 50 losses: after a resume it must continue, not restart.
    @Test("loss_avg of a 2 + 2 step run equals that of a straight 4-step run")
    func lossAverageContinues() throws {
        let root = try tinyFolderCopy()
        #expect(try train("tiny-folder", steps: 4, output: "straight", in: root).status == 0)
        #expect(try train("tiny-folder", steps: 2, output: "resumed", in: root).status == 0)
        let second = try train("tiny-folder", steps: 4, output: "resumed", in: root)
        #expect(second.status == 0, "\(second.error)")
        let straight = try metricsRecords(root + "/straight/metrics.jsonl")
        let resumed = try metricsRecords(root + "/resumed/metrics.jsonl")
        #expect(straight.map { $0["step"] } == [1, 2, 3, 4])
        #expect(resumed.map { $0["step"] } == [1, 2, 3, 4])
        // A resumed run repeats the same float32 computations on the same batches and noise (the Trainer's
        // resume test holds losses to 1e-6); the average of four such losses is held to the same bound.
        for (a, b) in zip(straight, resumed) {
            let (x, y) = (try #require(a["loss_avg"]), try #require(b["loss_avg"]))
            #expect(abs(x - y) <= 1e-6, "step \(a["step"] ?? 0): \(x) vs \(y)")
        }
        // The check is not trivial: a restarted average at step 4 would be the mean of steps 3 and 4 only.
        let losses = straight.compactMap { $0["loss"] }
        let restarted = (losses[2] + losses[3]) / 2
        #expect(abs(try #require(resumed[3]["loss_avg"]) - restarted) > 1e-4)
    }
}
