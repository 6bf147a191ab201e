import Datasets
import Evaluation
import Foundation
import NN
import Testing
import Torch

@Suite(.serialized) struct EvalCommandTests {
    @Test func generatedSamplesAndTheirSavedFileMeasureTheSame() throws {
        let f = try EvalFiles.shared.get()
        let saved = f.root + "/samples.npz"
        let run = try runDimr(["eval", f.model, "-n", "6", "--steps", "2", "--inception", f.inception, "--ref", f.referenceImages,
                               "--classifier", "none", "--save-samples", saved, "--threads", "1"])
        #expect(run.status == 0, "eval failed: \(run.error)")
        let object = try evalJSON(run)
        let metrics = object["metrics"] as? [String: Any] ?? [:]
        let proto = object["protocol"] as? [String: Any] ?? [:]
        for key in ["fid", "sfid", "inception_score", "precision", "recall"] { #expect(metrics[key] is Double, "\(key) missing") }
        #expect(proto["n"] as? Int == 6)
        #expect(proto["nfe"] as? Int == 4)                                   // 2 guided denoiser calls
        #expect(proto["equivalent_standard_scale"] as? Double == 2)
        #expect((proto["labels"] as? String)?.contains("image k has class k mod 3 (2 per class)") == true)
        #expect(((proto["inception"] as? [String: Any])?["reference_n"]) as? Int == 8)
        #expect(run.error.contains("6 images: FID"))
        let npz = try NPZ.read(saved)
        #expect(npz["arr_0"]?.shape == [6, 8, 8, 3])
        #expect(try npz["arr_1"]?.tensor().toArray(Int64.self) == [0, 1, 2, 0, 1, 2])

        // Generation only: the same images saved, nothing measured.
        let only = f.root + "/only.npz"
        let generated = try runDimr(["eval", f.model, "-n", "6", "--steps", "2", "--classifier", "none", "--save-samples", only, "--threads", "1"])
        #expect(generated.status == 0, "generation failed: \(generated.error)")
        #expect(try (evalJSON(generated)["metrics"] as? [String: Any])?.isEmpty == true)
        #expect(generated.error.contains("nothing measured (6 samples saved to \(only))"), "\(generated.error)")
        #expect(try NPZ.read(only)["arr_0"] == npz["arr_0"])

        // A guidance interval that covers no call of a 2-step run leaves 2 unguided calls: 2 network evaluations.
        let interval = try runDimr(["eval", f.model, "-n", "3", "--steps", "2", "--classifier", "none", "--save-samples", f.root + "/interval.npz",
                                    "--guidance-interval", "0,1", "--threads", "1"])
        #expect(interval.status == 0, "eval with --guidance-interval failed: \(interval.error)")
        let intervalProtocol = try evalJSON(interval)["protocol"] as? [String: Any] ?? [:]
        #expect(intervalProtocol["nfe"] as? Int == 2 && intervalProtocol["guided_calls"] as? Int == 0, "\(intervalProtocol)")
        #expect((intervalProtocol["guidance_interval"] as? String)?.contains("0") == true)
        #expect(intervalProtocol["sampling_precision"] as? String == "float32")

        // The saved file holds the same uint8 images, so every metric comes out the same.
        let again = try evalJSON(try runDimr(["eval", "--samples", saved, "--inception", f.inception, "--ref", f.referenceImages,
                                            "--classifier", "none", "--threads", "1"]))
        let metricsAgain = again["metrics"] as? [String: Any] ?? [:]
        for key in ["fid", "sfid", "inception_score", "precision", "recall"] {
            #expect(metricsAgain[key] as? Double == metrics[key] as? Double, "\(key) differs")
        }

        // Statistics written by eval-ref give the same FID as the reference images themselves.
        let stats = f.root + "/reference-stats.npz"
        let ref = try runDimr(["eval-ref", f.referenceImages, "--inception", f.inception, "--output", stats, "--threads", "1"])
        #expect(ref.status == 0, "eval-ref failed: \(ref.error)")
        // `--classifier auto` is the bundled classifier, as for `dimr eval`.
        let bundled = try runDimr(["eval-ref", "fashion-mnist:test", "-n", "50", "--classifier", "auto", "--output", f.root + "/auto.npz",
                                   "--threads", "1"], directory: packageRoot)
        #expect(bundled.status == 0, "eval-ref --classifier auto failed: \(bundled.error)")
        #expect(FileManager.default.fileExists(atPath: f.root + "/auto.npz"))
        let arrays = try NPZ.read(stats)
        #expect(arrays["mu"]?.shape == [2048] && arrays["sigma"]?.shape == [2048, 2048] && arrays["mu"]?.dtype == .float64)
        #expect(arrays["mu_s"]?.shape == [2023] && arrays["features"]?.shape == [8, 2048])
        let viaStats = try evalJSON(try runDimr(["eval", "--samples", saved, "--inception", f.inception, "--ref", stats,
                                               "--classifier", "none", "--threads", "1"]))
        let viaMetrics = viaStats["metrics"] as? [String: Any] ?? [:]
        for key in ["fid", "sfid", "precision", "recall"] {
            #expect(viaMetrics[key] as? Double == metrics[key] as? Double, "\(key) differs with eval-ref statistics")
        }
    }

    @Test func fashionMNISTAgainstItselfIsAtDistanceZero() throws {
        let f = try EvalFiles.shared.get()
        // Reference statistics of the first 500 test images, then those images measured against them.
        let reference = f.root + "/fmnist-500.npz"
        let ref = try runDimr(["eval-ref", "fashion-mnist:test", "-n", "500", "--classifier", f.classifier, "--output", reference, "--threads", "1"])
        #expect(ref.status == 0, "eval-ref failed: \(ref.error)")
        let same = try runDimr(["eval", "--samples", "fashion-mnist:test", "-n", "500", "--classifier", f.classifier,
                                "--classifier-ref", reference, "--threads", "1"])
        #expect(same.status == 0, "eval failed: \(same.error)")
        let metrics = try evalJSON(same)["metrics"] as? [String: Any] ?? [:]
        // The same images as the reference: the statistics agree to float64 rounding of 500-term sums of
        // features of order 1 (some 1e-13), and the distance is zero to about the square root of that (the
        // trace of a square root magnifies the rounding of near-zero eigenvalues): 1e-4 is far above it.
        #expect(abs(metrics["classifier_fid"] as? Double ?? 1) <= 1e-4)
        #expect(metrics["classifier_precision"] as? Double == 1 && metrics["classifier_recall"] as? Double == 1)
        let accuracy = metrics["class_accuracy"] as? Double ?? -1
        #expect(accuracy >= 0 && accuracy <= 1)
        #expect((metrics["class_accuracy_per_class"] as? [String: Any])?.count == 10)

        // The default reference, the 10,000 test images, is computed once and cached; shuffled labels leave
        // the features (and so every feature metric) as they were.
        let cache = f.root + "/cache"
        let arguments = ["eval", "--samples", "fashion-mnist:test", "-n", "500", "--classifier", f.classifier, "--cache-dir", cache, "--threads", "1"]
        let first = try evalJSON(try runDimr(arguments))
        let cached = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect(cached.count == 1 && cached[0].hasPrefix("fmnist-test-"))
        // Another copy of the test set (here a cut one) is not taken for the cached full set.
        let cut = f.root + "/cut-data"
        try writeTinyFashionMNIST(to: cut, count: 20)
        let other = try evalJSON(try runDimr(["eval", "--samples", "fashion-mnist:train", "--data-dir", cut, "--classifier", f.classifier,
                                              "--cache-dir", cache, "--threads", "1"]))
        let otherFields = (other["protocol"] as? [String: Any])?["classifier"] as? [String: Any] ?? [:]
        #expect(otherFields["reference_n"] as? Int == 20, "\(otherFields)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).count == 2)
        let second = try evalJSON(try runDimr(arguments + ["--shuffle-labels", "3"]))
        let fields = (second["protocol"] as? [String: Any])?["classifier"] as? [String: Any] ?? [:]
        #expect((fields["reference_cache"] as? String)?.hasPrefix(cache) == true)
        #expect(((second["protocol"] as? [String: Any])?["labels"] as? String)?.contains("shuffled") == true)
        let m1 = first["metrics"] as? [String: Any] ?? [:], m2 = second["metrics"] as? [String: Any] ?? [:]
        for key in ["classifier_fid", "classifier_precision", "classifier_recall"] {
            #expect(m1[key] as? Double == m2[key] as? Double, "\(key) changed with shuffled labels")
        }
    }

    @Test func badOptionsAreRefusedBeforeAnyWork() throws {
        let f = try EvalFiles.shared.get()
        let cases: [([String], String)] = [
            (["eval", f.model, "-n", "7", "--classifier", f.classifier], "not a multiple of the model's 3 classes"),
            (["eval", f.model, "--inception", f.inception], "--inception and --ref go together"),
            (["eval", f.model, "--inception", "/nonexistent.pth", "--ref", f.referenceImages], "/nonexistent.pth not found"),
            (["eval", f.model, "--samples", f.referenceImages], "either MODEL"),
            (["eval", "--samples", "/nonexistent.npz"], "--samples: /nonexistent.npz not found"),
            (["eval", "--samples", f.referenceImages, "--classifier", "none"], "nothing to measure"),
            (["eval", "--samples", f.referenceImages, "--inception", f.classifier, "--ref", f.referenceImages], "not the FID Inception-v3"),
            (["eval", "--samples", "fashion-mnist:valid"], "not fashion-mnist:train or fashion-mnist:test"),
            (["eval", f.model, "-n", "0"], "--count must be positive"),
            (["eval", f.model, "--scale", "1e39"], "--scale must be a finite number in"),
            (["eval", "--samples", f.referenceImages, "--guidance-interval", "0,500"], "apply to sampling from a MODEL"),
            (["eval-ref", f.referenceImages, "--output", f.root + "/x.npz"], "exactly one of --inception and --classifier"),
        ]
        for (arguments, message) in cases {
            let run = try runDimr(arguments)
            #expect(run.status != 0, "\(arguments) succeeded")
            #expect(run.error.contains(message), "\(arguments): \(run.error)")
        }
    }
}
