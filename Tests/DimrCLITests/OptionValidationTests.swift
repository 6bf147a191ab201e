import Foundation
import Testing

/// Out-of-range options are refused at start-up, naming the option, before any data is read or any
/// output written (the tiny-folder cases of shared/cases).
@Suite struct OptionValidationTests {
    /// `dimr train` on the tiny folder with `extra` options appended (a later option wins).
    private func train(_ root: String, _ extra: [String]) throws -> RunResult {
        try runDimr(["train", "--dataset", root + "/tiny-folder", "--preset", "fmnist-2r", "--batch-size", "2", "--steps", "4",
                     "--log-every", "1", "--sample-every", "2", "--output", root + "/OUT"] + extra)
    }

    @Test("each bad numeric option of dimr train is refused before any work, naming it", arguments: [
        (["--checkpoint-every=-1"], "--checkpoint-every"),
        (["--log-every", "0"], "--log-every"),
        (["--keep", "0"], "--keep"),
        (["--sample-steps", "0"], "--sample-steps"),
        (["--sample-steps", "2", "--guidance-scale", "nan"], "--guidance-scale"),
        (["--sample-every=-2"], "--sample-every"),
        (["--threads", "0"], "--threads"),
        (["--threads=-1"], "--threads"),
        (["--threads", "100000"], "--threads"),
        (["--image-size", "0"], "--image-size"),
        (["--image-size", "31"], "--image-size"),
        (["--weight-decay", "nan"], "--weight-decay"),
        (["--weight-decay=-0.1"], "--weight-decay"),
        (["--loss-coeffs", "nan,1"], "--loss-coeffs"),
        (["--loss-coeffs=-1,1"], "--loss-coeffs"),
        (["--loss-coeffs", "1"], "--loss-coeffs"),
        (["--batch-size", "0"], "--batch-size"),
        (["--steps=-1"], "--steps"),
        (["--lr", "nan"], "--lr"),
        (["--lr", "inf"], "--lr"),
        (["--warmup=-1"], "--warmup"),
        (["--ema-rate", "1.5"], "--ema-rate"),
        (["--label-drop", "2"], "--label-drop"),
        (["--grad-clip", "nan"], "--grad-clip"),
        (["--device", "tpu"], "--device"),
        (["--precision", "fp64"], "--precision"),
        (["--precision", ""], "--precision"),
        (["--dataset", "/nonexistent-dimr-data"], "--dataset"),
        (["--dataset", "fashion-mnist", "--image-size", "16"], "Fashion-MNIST images are 1x32x32"),
    ])
    func trainOptions(extra: [String], option: String) throws {
        let root = try tinyFolderCopy()
        let result = try train(root, extra)
        #expect(result.status != 0, "accepted \(extra)")
        #expect(result.error.contains(option), "\(extra): \(result.error)")
        #expect(!result.error.contains("Fatal error") && !result.error.contains("NSCocoaErrorDomain"))
        // Nothing was done: no output folder.
        #expect(!FileManager.default.fileExists(atPath: root + "/OUT"), "\(extra) created the output folder")
    }

    @Test("absurd model configurations are refused before anything is built (max_height 2^40, huge sizes)", arguments: [
        ("1099511627776", "8", "1", "max_height"),
        ("1048576", "1048576", "1", "parameters"),
        ("8", "8", "9223372036854775807", "num_blocks"),
    ])
    func absurdConfigurations(maxHeight: String, maxWidth: String, blocks: String, named: String) throws {
        let root = try tinyFolderCopy()
        let json = """
            {"channels": 1, "num_classes": 3, "stage_configs": [{"block_type": "ConvNeXtBlock", "dim": 8, "hidden_dim": 8,
             "kernel_size": 3, "num_blocks": \(blocks), "max_height": \(maxHeight), "max_width": \(maxWidth),
             "image_input_ratio": 1, "input_feature_ratio": 1, "final_kernel_size": 3, "dropout_prob": 0}]}
            """
        try json.write(toFile: root + "/model.json", atomically: true, encoding: .utf8)
        let result = try runDimr(["train", "--config", root + "/model.json", "--dataset", root + "/tiny-folder", "--image-size", "8",
                                  "--steps", "1", "--batch-size", "2", "--output", root + "/OUT"])
        #expect(result.status == 1, "\(result.error)")
        #expect(result.error.contains(named), "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: root + "/OUT"))
    }

    @Test("each bad option of dimr sample is refused before the model is read", arguments: [
        (["--per-class", "0"], "--per-class"),
        (["--steps", "0"], "--steps"),
        (["--steps", "5000"], "--steps"),
        (["--batch-size", "0"], "--batch-size"),
        (["--scale", "nan"], "--scale"),
        (["--guidance", "decayed", "--scale", "0.5"], "--scale"),
        (["--guidance", "decayed", "--scale", "2", "--power", "0"], "--power"),
        (["--grid-per-class", "0"], "--grid-per-class"),
        (["--threads", "0"], "--threads"),
        (["--precision", "float16"], "--precision"),
        (["--classes", ""], "no classes given in --classes"),
        (["--classes", " , "], "no classes given in --classes"),
    ])
    func sampleOptions(extra: [String], message: String) throws {
        let root = try temporaryFolder()
        // A model path that does not exist: a refusal naming the option proves the option was checked first.
        let result = try runDimr(["sample", root + "/absent.safetensors", "--output", root + "/S"] + extra)
        #expect(result.status != 0)
        #expect(result.error.contains(message), "\(extra): \(result.error)")
        #expect(!result.error.contains("absent.safetensors"))
        #expect(!FileManager.default.fileExists(atPath: root + "/S"))
    }

    @Test func parityThreads() throws {
        let result = try runDimr(["parity", "absent.safetensors", "--threads", "0"])
        #expect(result.status != 0)
        #expect(result.error.contains("--threads"))
    }

    @Test("0 means what --help says: --checkpoint-every 0 saves only at the end, --sample-every 0 never samples")
    func zeroMeansAStatedThing() throws {
        let help = try runDimr(["train", "--help"])
        #expect(help.output.contains("0 = only at the end"))
        #expect(help.output.contains("0 = never"))
        let root = try tinyFolderCopy()
        let result = try runDimr(["train", "--dataset", root + "/tiny-folder", "--preset", "fmnist-2r", "--batch-size", "2",
                                  "--steps", "3", "--checkpoint-every", "0", "--sample-every", "0", "--output", root + "/OUT"])
        #expect(result.status == 0, "\(result.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/OUT/checkpoints") == ["step-00000003.safetensors"])
        #expect(!FileManager.default.fileExists(atPath: root + "/OUT/samples"))
    }
}
