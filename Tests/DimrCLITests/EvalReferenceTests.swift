import Datasets
import Foundation
import Testing
import Torch

/// `dimr eval`'s references and image counts: checked when read, before any image is made or measured;
/// statistics-only references and --no-precision-recall for the classifier measures; images the feature
/// networks cannot take, named by their file's shape.
@Suite(.serialized) struct EvalReferenceTests {
    /// A classifier reference of the tiny Fashion-MNIST test split, with features (`features` true) or without.
    func classifierReference(_ f: EvalFiles, features: Bool) throws -> String {
        let path = f.root + (features ? "/fashion-ref.npz" : "/fashion-ref-stats.npz")
        if FileManager.default.fileExists(atPath: path) { return path }
        let made = try runDimr(["eval-ref", "fashion-mnist:test", "--data-dir", f.fashion, "--classifier", f.classifier, "--output", path,
                                "--threads", "1"] + (features ? [] : ["--no-features"]))
        guard made.status == 0 else { throw CLIError("eval-ref failed: \(made.error)") }
        return path
    }

    func measure(_ f: EvalFiles, _ extra: [String]) throws -> RunResult {
        try runDimr(["eval", "--samples", "fashion-mnist:train", "--data-dir", f.fashion, "--classifier", f.classifier, "--threads", "1"] + extra)
    }

    @Test func noPrecisionRecallSkipsTheClassifiersToo() throws {
        let f = try EvalFiles.shared.get()
        // 3 images: too few for precision/recall (k = 3), enough for FID.
        let run = try measure(f, ["-n", "3", "--classifier-ref", try classifierReference(f, features: true), "--no-precision-recall"])
        #expect(run.status == 0, "\(run.error)")
        let object = try evalJSON(run)
        let metrics = object["metrics"] as? [String: Any] ?? [:]
        #expect(metrics["classifier_fid"] is Double)
        #expect(metrics["classifier_precision"] is NSNull && metrics["classifier_recall"] is NSNull, "\(metrics)")
        let fields = (object["protocol"] as? [String: Any])?["classifier"] as? [String: Any] ?? [:]
        #expect(fields["precision_recall"] as? String == "not measured (--no-precision-recall)")
    }

    @Test func aStatisticsOnlyClassifierReferenceGivesFIDAndSaysWhyNoPrecisionRecall() throws {
        let f = try EvalFiles.shared.get()
        let stats = try classifierReference(f, features: false)
        #expect(try NPZ.read(stats)["features"] == nil)
        let run = try measure(f, ["-n", "10", "--classifier-ref", stats])
        #expect(run.status == 0, "\(run.error)")
        let object = try evalJSON(run)
        let metrics = object["metrics"] as? [String: Any] ?? [:]
        #expect(metrics["classifier_fid"] is Double)
        #expect(metrics["classifier_precision"] is NSNull)
        #expect((object["notes"] as? [String])?.contains { $0.contains("holds statistics only") } == true, "\(object)")
        #expect(run.error.contains("note: precision/recall not measured"), "\(run.error)")
        // The same FID as against the reference with features.
        let full = try evalJSON(try measure(f, ["-n", "10", "--classifier-ref", try classifierReference(f, features: true)]))
        #expect((full["metrics"] as? [String: Any])?["classifier_fid"] as? Double == metrics["classifier_fid"] as? Double)
        // Asked not to measure them, nothing to note.
        let quiet = try measure(f, ["-n", "10", "--classifier-ref", stats, "--no-precision-recall"])
        #expect(quiet.status == 0, "\(quiet.error)")
        #expect(try evalJSON(quiet)["notes"] == nil)
    }

    @Test func badReferencesAreRefusedWhenReadNamingTheArray() throws {
        let f = try EvalFiles.shared.get()
        let root = try temporaryFolder()
        let good = try Tensor.randn([40, 128], dtype: .float64, generator: Generator(seed: 1))
        let mu = try good.mean(dims: [0]), centered = try good - mu
        let sigma = try centered.transpose(0, 1).matmul(centered) / 39
        func write(_ name: String, _ arrays: [(String, Tensor)]) throws -> String {
            let path = root + "/\(name).npz"
            try NPZ.write(arrays.map { (name: $0.0, tensor: $0.1) }, to: path)
            return path
        }
        var bump = [Double](repeating: 0, count: 128 * 128)
        bump[1] = 1                                                   // sigma[0, 1] only
        let asymmetric = try sigma + Tensor(bump, shape: [128, 128])
        let cases: [(String, String)] = [
            (try write("nan-mu", [("mu", try mu.maskedFill(mu .< 10, .nan)), ("sigma", sigma)]), "mu holds NaN or infinite values"),
            (try write("inf-sigma", [("mu", mu), ("sigma", try sigma * .infinity)]), "sigma holds NaN or infinite values"),
            (try write("asymmetric", [("mu", mu), ("sigma", asymmetric)]), "sigma: the covariance is not symmetric"),
            (try write("negative", [("mu", mu), ("sigma", try sigma * -1)]), "sigma: the covariance is not positive semi-definite"),
            (try write("dim64", [("mu", try mu.narrow(dim: 0, start: 0, length: 64)),
                                 ("sigma", try sigma.narrow(dim: 0, start: 0, length: 64).narrow(dim: 1, start: 0, length: 64))]),
             "mu [64] and sigma [64, 64] are not statistics of the classifier's features"),
            (try write("nan-features", [("mu", mu), ("sigma", sigma), ("features", try good.maskedFill(good .> 2, .nan))]),
             "features holds NaN or infinite values"),
        ]
        for (path, message) in cases {
            let run = try measure(f, ["-n", "10", "--classifier-ref", path])
            #expect(run.status != 0, "\(path) was accepted")
            #expect(run.error.contains("--classifier-ref \(path): \(message)"), "\(path): \(run.error)")
            #expect(!run.error.contains("step "), "\(path): work was done before refusing it: \(run.error)")
        }
        // An Inception reference of the wrong dimension stops a model's run before sampling.
        let saved = root + "/s.npz"
        let run = try runDimr(["eval", f.model, "-n", "6", "--steps", "2", "--classifier", "none", "--inception", f.inception,
                               "--ref", cases[4].0, "--save-samples", saved, "--threads", "1"])
        #expect(run.status != 0 && run.error.contains("--ref \(cases[4].0): mu [64]"), "\(run.error)")
        #expect(!run.error.contains("step ") && !FileManager.default.fileExists(atPath: saved), "\(run.error)")
    }

    @Test func tooFewImagesAreRefusedUpFrontAndAShortFileIsNamed() throws {
        let f = try EvalFiles.shared.get()
        let reference = try classifierReference(f, features: true)
        let one = try measure(f, ["-n", "1", "--classifier-ref", reference, "--no-precision-recall"])
        #expect(one.status != 0 && one.error.contains("FID needs at least 2 images (a covariance), got 1"), "\(one.error)")
        let three = try measure(f, ["-n", "3", "--classifier-ref", reference])
        #expect(three.status != 0, "\(three.error)")
        #expect(three.error.contains("precision/recall (k = 3) need more than 3 images, got 3") && three.error.contains("--no-precision-recall"),
                "\(three.error)")
        for run in [one, three] { #expect(!run.error.contains("step "), "work was done first: \(run.error)") }

        // More asked for than the source holds: measured, with a warning, and n is the true count.
        let short = try measure(f, ["-n", "100", "--classifier-ref", reference])
        #expect(short.status == 0, "\(short.error)")
        #expect(short.error.contains("warning: --count 100, but fashion-mnist:train holds 40 images"), "\(short.error)")
        #expect((try evalJSON(short)["protocol"] as? [String: Any])?["n"] as? Int == 40)
    }

    @Test func imagesTheNetworksCannotTakeAreRefusedNamingTheFileAndOption() throws {
        let f = try EvalFiles.shared.get()
        let root = try temporaryFolder()
        let tiny = root + "/tiny.npz"
        try NPZ.write([("arr_0", try Tensor.zeros([5, 1, 1, 3], dtype: .uint8)), ("arr_1", try Tensor([Int64](repeating: 0, count: 5)))], to: tiny)
        let run = try runDimr(["eval", "--samples", tiny, "--classifier", f.classifier, "--classifier-ref", try classifierReference(f, features: true),
                               "--threads", "1"])
        #expect(run.status != 0)
        #expect(run.error.contains("\(tiny): arr_0 uint8 5x1x1x3") && run.error.contains("takes 28x28 or 32x32 images"), "\(run.error)")
        #expect(!run.error.contains("[50, 1, 1, 3]") && !run.error.contains("[5, 1, 1, 3]"))

        // An error found while running names no option of another command and prints no top-level usage.
        let odd = try runDimr(["eval", f.model, "-n", "7", "--classifier", "none", "--save-samples", root + "/s.npz"])
        #expect(odd.status != 0 && odd.error.contains("not a multiple of the model's 3 classes"), "\(odd.error)")
        #expect(!odd.error.contains("Usage: dimr <subcommand>"), "\(odd.error)")

        // Folder images over the pixel limit: the option that raises it is eval's and eval-ref's own.
        for arguments in [["eval", "--samples", f.root + "/data", "--inception", f.inception, "--ref", f.referenceImages],
                          ["eval-ref", f.root + "/data", "--inception", f.inception, "--output", root + "/r.npz"]] {
            let refused = try runDimr(arguments + ["--max-image-pixels", "10", "--threads", "1"])
            #expect(refused.status != 0)
            #expect(refused.error.contains("image too large: 8x8 pixels exceeds the limit of 10 pixels per image (--max-image-pixels raises the limit)"),
                    "\(arguments): \(refused.error)")
            #expect(!refused.error.contains("maxPixels"))
        }
    }
}
