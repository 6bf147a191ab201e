import ArgumentParser
import Datasets
import DiMR
import Diffusion
import Foundation
import Pipeline
import Torch

/// `dimr sample`: class-conditional images from a trained model with classifier-free guidance.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate class-conditional images from a checkpoint or exported weights.",
        discussion: """
        Writes OUTPUT/grid.png (one row per class, labelled with the class index), OUTPUT/images/NNNNN-class-K.png and OUTPUT/samples.npz \
        (uint8 NHWC images as arr_0 and int64 labels as arr_1, the ADM evaluation-suite layout).
        Guidance rules: `constant` is cond + s (cond - uncond), i.e. standard scale 1 + s; `decayed` is \
        uncond + s(t) (cond - uncond) with s(t) rising from 1 at t = 1000 to --scale at t = 0 (--power).
        """)

    enum SamplerKind: String, ExpressibleByArgument, CaseIterable {
        case dpmSolver = "dpm-solver", dpmSolverPlusPlus = "dpm-solver++", ddim
        case uniPC2 = "unipc-2", uniPC3 = "unipc-3", dpmSolverPlusPlus3MSDE = "dpm-solver++-3m-sde"
    }
    enum Rule: String, ExpressibleByArgument, CaseIterable {
        case constant, decayed, none
    }

    @Argument(help: "A training checkpoint or exported weights (.safetensors).") var checkpoint: String
    @Option(help: "Classes, comma-separated (default: all).") var classes: String?
    @Option(help: "Images per class.") var perClass: Int = 8
    @Option(help: "Sampler: dpm-solver (the authors'), dpm-solver++ (2M), ddim, unipc-2 or unipc-3 (UniPC-bh2 of that order), or dpm-solver++-3m-sde (stochastic; its noise is seeded per image by --seed).")
    var sampler: SamplerKind = .dpmSolver
    @Option(help: "Solver steps (denoiser calls).") var steps: Int = 25
    @Option(help: "Guidance rule: constant, decayed or none.") var guidance: Rule = .constant
    @Option(help: "Guidance scale: s of the constant rule, the final scale of the decayed rule.") var scale: Double = 1.0
    @Option(help: "Power of the decayed rule.") var power: Double = 1.0
    @Option(help: ArgumentHelp("Guide only at times t with LOW < t <= HIGH, on the authors' time scale 0...1000 (1000 = pure noise; the start-up summary also gives it as sigma = sqrt((1 - abar) / abar)). Elsewhere the unconditional pass is not run. Default: guide at every step.",
                               valueName: "low,high"),
            transform: { try GuidanceInterval(parsing: $0, schedule: NoiseSchedule.stableDiffusion()) })
    var guidanceInterval: GuidanceInterval?
    @Option(help: "Seed; image k's noise depends only on (seed, k).") var seed: UInt64 = 0
    @Option(help: "Images per network batch.") var batchSize: Int = 64
    @Option(help: "Output folder.") var output: String = "samples"
    @Flag(help: "Use the raw weights instead of the EMA ones.") var noEma = false
    @Flag(help: "Skip writing single images.") var gridOnly = false
    @Option(help: "Intra-op threads (default: libtorch's).") var threads: Int?
    @Option(help: "Device: cpu or cuda[:N].") var device: String = "cpu"

    func run() throws {
        if let threads { Torch.numThreads = threads }
        guard let device = Device(parsing: device) else { throw ValidationError("unknown device \(self.device)") }
        guard perClass > 0, steps > 0, batchSize > 0 else { throw ValidationError("--per-class, --steps and --batch-size must be positive") }
        let started = Date()
        let file = try ModelFile(path: checkpoint, useEMA: !noEma, device: device)
        let classList: [Int]
        if let text = classes {
            classList = try text.split(separator: ",").map {
                guard let c = Int($0.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("bad class \"\($0)\" in --classes") }
                return c
            }
        } else {
            classList = Array(0..<file.nullClass)
        }
        let schedule = try NoiseSchedule.stableDiffusion()
        let solver: any Sampler
        switch sampler {
        case .dpmSolver: solver = try AuthorsDPMSolver(schedule: schedule, steps: steps)
        case .dpmSolverPlusPlus: solver = try DPMSolverPlusPlus(schedule: schedule, steps: steps)
        case .ddim: solver = try DDIMSampler(schedule: schedule, steps: steps)
        case .uniPC2: solver = try UniPCSampler(schedule: schedule, steps: steps, order: 2)
        case .uniPC3: solver = try UniPCSampler(schedule: schedule, steps: steps, order: 3)
        case .dpmSolverPlusPlus3MSDE: solver = try DPMSolverPlusPlusSDE(schedule: schedule, steps: steps, seed: seed)
        }
        let rule: Guidance
        switch guidance {
        case .constant: rule = .constant(scale: scale)
        case .decayed: rule = .decayed(scale: scale, power: power)
        case .none: rule = .none
        }
        try rule.validate()
        let summary = solver.summary(guidance: rule, interval: guidanceInterval)
        print("model: \(file.model.parameterCount) parameters (\(file.weights) weights), \(file.imageSize)x\(file.imageSize)")
        print("sampling: \(summary)")
        var gridSampler = ClassGridSampler(model: file.model, nullClass: file.nullClass,
                                           imageShape: [file.model.config.channels, file.imageSize, file.imageSize])
        gridSampler.batchSize = batchSize
        gridSampler.device = device
        let samplingStart = Date()
        let result = try gridSampler.sample(classes: classList, perClass: perClass, sampler: solver, guidance: rule,
                                           guidanceInterval: guidanceInterval, seed: seed) { done, total in
            FileHandle.standardError.write(Data("\rsampled \(done)/\(total)".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        let samplingSeconds = Date().timeIntervalSince(samplingStart)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let grid = try ImageGrid.tile(result.images, columns: perClass)
        try PNG.write(RowLabels.add(to: grid, labels: classList, tileHeight: file.imageSize, padding: 2), to: output + "/grid.png")
        if !gridOnly {
            try FileManager.default.createDirectory(atPath: output + "/images", withIntermediateDirectories: true)
            let labels = try result.labels.toArray(Int64.self)
            for k in 0..<labels.count {
                let one = try result.images.narrow(dim: 0, start: k, length: 1)
                try ImageGrid.write(one, to: output + String(format: "/images/%05d-class-%d.png", k, labels[k]), columns: 1, padding: 0)
            }
        }
        try NPZ.writeSamples(images: result.images, labels: result.labels, to: output + "/samples.npz")
        let n = result.labels.count
        print(String(format: "wrote %d images to %@ (grid.png, samples.npz%@) in %.1f s: %.2f images/s sampling",
                     n, output, gridOnly ? "" : ", images/", Date().timeIntervalSince(started), Double(n) / samplingSeconds))
    }
}
