import Datasets
import Foundation
import Testing
import Torch

/// What `dimr eval`, `eval-ref` and `train-classifier` write, and when they refuse to: outputs that are inputs,
/// output folders that are missing, cache folders that cannot be used, and a run stopped by Ctrl-C.
@Suite(.serialized) struct EvalOutputTests {
    @Test func outputsThatAreInputsAreRefusedAndTheInputsKept() throws {
        let f = try EvalFiles.shared.get()
        let root = try temporaryFolder()
        // Copies: a command that wrongly went ahead would destroy the shared fixtures.
        let samples = root + "/x.npz", model = root + "/m.safetensors", classifier = root + "/c.safetensors"
        let inception = root + "/i.safetensors", data = root + "/fmnist"
        for (from, to) in [(f.referenceImages, samples), (f.model, model), (f.classifier, classifier), (f.inception, inception)] {
            try FileManager.default.copyItem(atPath: from, toPath: to)
        }
        try writeTinyFashionMNIST(to: data, count: 20)
        try FileManager.default.createSymbolicLink(atPath: root + "/link.npz", withDestinationPath: samples)
        let trainImages = data + "/train-images-idx3-ubyte"
        let before = fileBytes([samples, model, classifier, inception, trainImages, data + "/t10k-images-idx3-ubyte"])
        let cases: [([String], String)] = [
            (["eval", "--samples", samples, "--output", samples], "--output is the same file as --samples"),
            (["eval", "--samples", root + "/./x.npz", "--output", root + "/../" + (root as NSString).lastPathComponent + "/x.npz"],
             "--output is the same file as --samples"),
            (["eval", "--samples", samples, "--output", root + "/link.npz"], "--output is the same file as --samples"),
            (["eval", model, "--save-samples", model], "--save-samples is the same file as MODEL"),
            (["eval", model, "--classifier", classifier, "--output", classifier], "--output is the same file as --classifier"),
            (["eval", model, "--classifier", "none", "--save-samples", root + "/y.npz", "--output", root + "/y.npz"],
             "--output is the same file as --save-samples"),
            (["eval", "--samples", samples, "--inception", inception, "--ref", samples, "--output", inception],
             "--output is the same file as --inception"),
            (["eval", "--samples", "fashion-mnist:test", "--data-dir", data, "--output", data + "/t10k-images-idx3-ubyte"],
             "--output is the same file as the Fashion-MNIST file"),
            (["eval-ref", samples, "--classifier", classifier, "--output", samples], "--output is the same file as SOURCE"),
            (["eval-ref", "fashion-mnist:train", "--classifier", classifier, "--data-dir", data, "--output", trainImages],
             "--output is the same file as the Fashion-MNIST file"),
            (["train-classifier", "--data-dir", data, "--epochs", "1", "--output", trainImages], "--output is the same file as the Fashion-MNIST file"),
        ]
        for (arguments, message) in cases {
            let run = try runDimr(arguments + ["--threads", "1"])
            #expect(run.status != 0, "\(arguments) succeeded")
            #expect(run.error.contains(message), "\(arguments): \(run.error)")
        }
        #expect(fileBytes(Array(before.keys)) == before, "an input was changed")
        #expect(!FileManager.default.fileExists(atPath: root + "/y.npz"))
    }

    @Test func outputLocationsAreCheckedBeforeAnyWork() throws {
        let f = try EvalFiles.shared.get()
        let root = try temporaryFolder()
        let missing = root + "/missing"
        let measure = ["eval", "--samples", "fashion-mnist:test", "--data-dir", f.fashion, "--classifier", f.classifier, "--no-precision-recall"]
        let cases: [([String], String)] = [
            (measure + ["--output", missing + "/x.json"], "--output \(missing)/x.json: the folder \(missing) does not exist"),
            (measure + ["--output", root], "--output \(root) is a folder"),
            (["eval", f.model, "--classifier", "none", "--save-samples", root], "--save-samples \(root) is a folder"),
            (["eval", f.model, "--classifier", "none", "--save-samples", missing + "/s.npz"], "the folder \(missing) does not exist"),
            (["eval-ref", "fashion-mnist:test", "--data-dir", f.fashion, "--classifier", f.classifier, "--output", missing + "/r.npz"],
             "the folder \(missing) does not exist"),
            (["eval-ref", "fashion-mnist:test", "--data-dir", f.fashion, "--classifier", f.classifier, "--output", root], "is a folder"),
            // Training 1 epoch of 40 images would take seconds; the old command trained, then created the folder.
            (["train-classifier", "--data-dir", f.fashion, "--epochs", "1", "--batch-size", "8", "--output", missing + "/c.safetensors"],
             "the folder \(missing) does not exist"),
            (["train-classifier", "--data-dir", f.fashion, "--epochs", "1", "--batch-size", "8", "--output", root], "is a folder"),
        ]
        for (arguments, message) in cases {
            let run = try runDimr(arguments + ["--threads", "1"])
            #expect(run.status != 0, "\(arguments) succeeded")
            #expect(run.error.contains(message), "\(arguments): \(run.error)")
            #expect(!run.error.contains("step "), "\(arguments) did work before refusing: \(run.error)")
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test func aBadCacheFolderIsRefusedAndACorruptCacheRecomputed() throws {
        let f = try EvalFiles.shared.get()
        let root = try temporaryFolder()
        let base = ["eval", "--samples", "fashion-mnist:train", "-n", "10", "--data-dir", f.fashion, "--classifier", f.classifier, "--threads", "1"]
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: root + "/file"))
        for folder in [root + "/file", root + "/file/sub"] {
            let run = try runDimr(base + ["--cache-dir", folder])
            #expect(run.status != 0)
            #expect(run.error.contains("--cache-dir \(folder) cannot hold the reference cache"), "\(run.error)")
            #expect(!run.error.contains("NSCocoaErrorDomain") && !run.error.contains("step "), "\(run.error)")
        }

        // A cache that is not an archive is computed again, with a warning, and replaced.
        let cache = root + "/cache"
        let first = try runDimr(base + ["--cache-dir", cache])
        #expect(first.status == 0, "\(first.error)")
        let names = try FileManager.default.contentsOfDirectory(atPath: cache)
        try #require(names.count == 1)
        let file = cache + "/" + names[0]
        let metrics = try evalJSON(first)["metrics"] as? [String: Any] ?? [:]
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: file))
        let again = try runDimr(base + ["--cache-dir", cache])
        #expect(again.status == 0, "\(again.error)")
        #expect(again.error.contains("warning: the cached reference \(file) cannot be used"), "\(again.error)")
        #expect(try NPZ.read(file)["mu"]?.shape == [128])
        let metricsAgain = try evalJSON(again)["metrics"] as? [String: Any] ?? [:]
        #expect(metricsAgain["classifier_fid"] as? Double == metrics["classifier_fid"] as? Double)
    }

    @Test func plainProgressLinesWithoutATerminalAndASummaryForGenerationOnly() throws {
        let f = try EvalFiles.shared.get()
        let root = try temporaryFolder()
        let run = try runDimr(["eval", f.model, "-n", "6", "--batch-size", "3", "--steps", "2", "--classifier", "none",
                               "--save-samples", root + "/s.npz", "--threads", "1"])
        #expect(run.status == 0, "\(run.error)")
        // Standard error is a pipe here: a line after the first batch, and one at the end, no carriage returns.
        #expect(run.error.contains("step 3/6 samples") && run.error.contains("step 6/6 samples"), "\(run.error)")
        #expect(!run.error.contains("\r"))
        #expect(run.error.contains("nothing measured (6 samples saved to \(root)/s.npz)"), "\(run.error)")
    }

    @Test func ctrlCWhileSavingSamplesLeavesNoTemporaryFile() throws {
        let f = try EvalFiles.shared.get()
        let root = try temporaryFolder()
        let started = try startDimr(["eval", f.model, "-n", "300000", "--batch-size", "3", "--steps", "2", "--classifier", "none",
                                     "--save-samples", root + "/s.npz", "--threads", "1"])
        defer { if started.process.isRunning { kill(started.process.processIdentifier, SIGKILL) } }
        func temporaries() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.contains(".tmp-") }
        }
        let appeared = waitFor(seconds: 60) { !temporaries().isEmpty }
        Thread.sleep(forTimeInterval: 0.5)
        kill(started.process.processIdentifier, SIGINT)
        let stopped = waitFor(seconds: 60) { !started.process.isRunning }
        try #require(appeared && stopped, "the temporary file never appeared, or the run did not stop")
        let error = String(decoding: try started.stderr.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
        #expect(started.process.terminationStatus == 130, "\(error)")
        #expect(error.contains("interrupted after"), "\(error)")
        #expect(temporaries().isEmpty, "left behind: \(temporaries())")
        #expect(!FileManager.default.fileExists(atPath: root + "/s.npz"))
    }
}
