import Testing
@testable import DimrBench
import Torch

@Suite("dimr-bench model: summaries and options")
struct ModelBenchmarkTests {
    @Test("a spread is the median with the smallest and largest value; NaNs (failed runs) are dropped")
    func spread() throws {
        let odd = try #require(Spread([3, 1, 2]))
        #expect(odd == Spread([1, 2, 3]))
        #expect(odd.median == 2 && odd.min == 1 && odd.max == 3 && odd.count == 3)
        let even = try #require(Spread([4, 1, 3, 2]))
        #expect(even.median == 2.5 && even.min == 1 && even.max == 4)
        let withFailure = try #require(Spread([5, .nan, 1]))
        #expect(withFailure.median == 3 && withFailure.count == 2)
        #expect(Spread([]) == nil)
        #expect(Spread([.nan]) == nil)
        // A decreasing map (seconds per step -> steps per second) swaps the ends.
        let inverted = Spread([1, 2, 4])?.map { 1 / $0 }
        #expect(inverted?.median == 0.5 && inverted?.min == 0.25 && inverted?.max == 1)
    }

    @Test("cells and JSON keep three and four significant digits")
    func formatting() throws {
        #expect(try #require(Spread([0.12345, 0.2, 12.5])).cell == "0.200 (0.123-12.5)")
        #expect(format(1234.5) == "1234" || format(1234.5) == "1235")
        #expect(significant(0.0123456, 3) == 0.0123)
        #expect(significant(98765, 2) == 99000)
    }

    private func parse(_ arguments: [String], bf16: Bool = true) throws -> ModelOptions {
        try ModelOptions(arguments: arguments, cpuSupportsBFloat16: bf16, environment: [:])
    }

    private func usageMessage(_ arguments: [String], bf16: Bool = true) -> String {
        do {
            _ = try parse(arguments, bf16: bf16)
            return "accepted"
        } catch let error as UsageError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("defaults: bf16 only where the CPU supports it, both checkpointing settings, both references, 5 repeats")
    func defaults() throws {
        let o = try parse([])
        #expect(o.precisions == [.float32, .bfloat16])
        #expect(try parse([], bf16: false).precisions == [.float32])
        #expect(o.checkpointing == [false, true])
        #expect(o.references == [.published, .fixed])
        #expect(o.repeats == 5 && o.preset.name == "bench" && !o.child)
    }

    @Test("lists parse, repeat values collapse, and bad values are refused naming the option")
    func lists() throws {
        let o = try parse(["--preset", "fmnist-3r", "--precisions", "bf16,float32,bf16", "--checkpointing", "on",
                           "--references", "fixed", "--repeats", "7", "--sample-batch", "4"])
        #expect(o.precisions == [.bfloat16, .float32])
        #expect(o.checkpointing == [true])
        #expect(o.references == [.fixed])
        #expect(o.repeats == 7 && o.sampleBatch == 4 && o.preset.name == "fmnist-3r")
        #expect(usageMessage(["--precisions", "bf16"], bf16: false).contains("--precisions: bf16 needs a CPU"))
        #expect(usageMessage(["--precisions", "fp16"]).contains("--precisions: fp16"))
        #expect(usageMessage(["--checkpointing", "maybe"]).contains("--checkpointing: maybe"))
        #expect(usageMessage(["--checkpointing", ","]).contains("--checkpointing needs at least one value"))
        #expect(usageMessage(["--references", "theirs"]).contains("--references: theirs"))
        #expect(usageMessage(["--repeats", "0"]).contains("--repeats needs a positive integer"))
        #expect(usageMessage(["--batch", "-3"]).contains("--batch needs a positive integer"))
        #expect(usageMessage(["--preset", "nope"]).contains("--preset: unknown preset nope"))
        #expect(usageMessage(["--bogus"]).contains("unknown option --bogus"))
        #expect(usageMessage(["--nfe"]).contains("--nfe needs a value"))
    }

    @Test("a child is told the same settings, and the authors' script gets --fixed only for that reference")
    func childArguments() throws {
        var o = try parse(["--preset", "fmnist-3r", "--batch", "8", "--steps", "2", "--sample-batch", "6", "--nfe", "5",
                           "--checkpointing", "off", "--threads", "2"])
        o.threads = 2
        let child = try parse(Array(o.childArguments(precision: .bfloat16).dropFirst()))
        #expect(child.child && child.precisions == [.bfloat16] && child.checkpointing == [false])
        #expect(child.batch == 8 && child.steps == 2 && child.sampleBatch == 6 && child.nfe == 5 && child.threads == 2)
        #expect(child.preset.name == "fmnist-3r")
        let fixed = o.authorsArguments(reference: .fixed, repository: "R", config: "C")
        let published = o.authorsArguments(reference: .published, repository: "R", config: "C")
        #expect(fixed.contains("--fixed") && !published.contains("--fixed"))
        #expect(published.joined(separator: " ").contains("--batch 8 --steps 2 --image-size 32 --sample-batch 6 --nfe 5 --checkpointing off"))
        #expect(usageMessage(["--child", "--precisions", "float32,bf16"]).contains("--child measures one precision"))
        #expect(child.oursSampler == .dpmSolver && child.oursNFE == 5)
    }

    @Test("our side may sample with another solver and call count, checked before any work; the child gets both")
    func oursSampling() throws {
        let o = try parse(["--preset", "fmnist-3r", "--nfe", "250", "--ours-sampler", "unipc-2", "--ours-nfe", "5"])
        let child = try parse(Array(o.childArguments(precision: .float32).dropFirst()))
        #expect(child.oursSampler == .uniPC2 && child.oursNFE == 5 && child.nfe == 250)
        #expect(!o.authorsArguments(reference: .fixed, repository: "R", config: "C").contains("unipc-2"))
        #expect(usageMessage(["--ours-sampler", "euler"]).contains("--ours-sampler: euler is not one of dpm-solver"))
        #expect(usageMessage(["--ours-sampler", "dpm-solver++-3m-sde"]).contains("(a stochastic sampler is not timed here)"))
        #expect(usageMessage(["--ours-nfe", "0"]).contains("--ours-nfe needs a positive integer"))
        #expect(usageMessage(["--ours-nfe", "5000"]).contains("--ours-nfe: 5000 denoiser calls; at most 1000"))
        #expect(usageMessage(["--nfe", "5000"]).contains("--nfe: 5000 denoiser calls; at most 1000"))
    }

    /// A child's result as the probes print it.
    private func run(step: Double, cpuStep: Double, sampleSeconds: Double, matmul: Double) -> [String: Any] {
        ["matmul_gflops": matmul, "train": ["off": ["s_per_step": step, "cpu_s_per_step": cpuStep, "peak_kib": 2048]],
         "sample": ["s": sampleSeconds, "cpu_s": sampleSeconds, "images": 10, "peak_kib": 1024]]
    }

    @Test("figures, FLOP rates and paired ratios follow from the children's results")
    func report() throws {
        let o = try parse(["--batch", "4", "--checkpointing", "off", "--sample-batch", "10", "--repeats", "2"])
        let ours = ModelBenchmark.Arm.ours(.float32), fixed = ModelBenchmark.Arm.authors(.fixed)
        let runs: [ModelBenchmark.Arm: [[String: Any]]] = [
            ours: [run(step: 1, cpuStep: 2, sampleSeconds: 5, matmul: 100), run(step: 2, cpuStep: 2, sampleSeconds: 5, matmul: 100)],
            fixed: [run(step: 2, cpuStep: 4, sampleSeconds: 5, matmul: 50), run(step: 2, cpuStep: 4, sampleSeconds: 10, matmul: 50)],
        ]
        let report = ModelReport(options: o, arms: [ours, fixed], runs: runs, flopsPerImage: 1e9)
        func figure(_ key: String) throws -> ModelReport.Figure { try #require(report.figures.first { $0.key == key }) }
        // 4 images per step of 1 s and 2 s.
        #expect(report.spread(try figure("train_off_images_per_s"), ours) == Spread([4, 2]))
        // 3 x 1 GFLOP per image x 4 images = 12 GFLOP per step: 12 and 6 GFLOP/s, of a 100 GFLOP/s matmul.
        #expect(report.spread(try figure("train_off_gflops"), ours) == Spread([12, 6]))
        #expect(report.spread(try figure("train_off_fraction_of_matmul_peak"), ours) == Spread([0.12, 0.06]))
        #expect(report.spread(try figure("train_off_peak_mib"), ours) == Spread([2, 2]))
        // Paired per repeat: (4 / 2, 2 / 2) for training; (2 / 2, 2 / 1) images/s for sampling.
        #expect(report.ratio(try figure("train_off_images_per_s"), ours, fixed) == Spread([2, 1]))
        #expect(report.ratio(try figure("sample_images_per_s"), ours, fixed) == Spread([1, 2]))
        // Only the float32 aims can be judged without a bf16 side: training 1.5x wall, 2x processor time >= 1.3x;
        // sampling 1.5x < 3x.
        let aims = report.aims()
        #expect(aims.count == 2)
        #expect(aims[0].target == 1.3 && aims[0].met && aims[0].wall?.median == 1.5 && aims[0].cpu?.median == 2)
        #expect(aims[1].target == 3 && !aims[1].met)
        #expect(report.markdown(loads: nil, cpu: "test CPU").contains("| ours float32 | authors, two changes |"))
        #expect(aims[1].aim.contains("both the authors' DPM-Solver at 25 denoiser calls"))

        // Our side at another sampler: the table, the aims and the JSON say which setting each side sampled with.
        let other = ModelReport(options: try parse(["--batch", "4", "--checkpointing", "off", "--nfe", "250", "--ours-sampler", "unipc-2",
                                                    "--ours-nfe", "5"]),
                                arms: [ours, fixed], runs: runs, flopsPerImage: 1e9)
        let setting = "ours unipc-2 at 5 denoiser calls, theirs DPM-Solver at 250"
        #expect(other.markdown(loads: nil, cpu: "test CPU").contains(setting))
        #expect(other.aims()[1].aim.contains(setting) && other.aims()[1].aim.contains("speed only: the aim needs an equal FID"))
        #expect(!aims[1].aim.contains("speed only"))
        #expect(other.json()["ours_sampler"] as? String == "unipc-2" && other.json()["ours_nfe"] as? Int == 5)
    }
}
