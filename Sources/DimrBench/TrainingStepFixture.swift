import DiMR
import Diffusion
import NN
import Pipeline
import Torch

/// One training step of a preset as the benchmarks run it: forward at `precision`, the preset's weighted
/// multi-resolution loss, backward and AdamW (the authors' betas and weight decay), on fixed random inputs of
/// `batch` images. The same step as scripts/bench_authors.py times on the authors' side.
struct TrainingStepFixture {
    private let network: MixedPrecisionNetwork
    private let optimizer: AdamW
    private let inputs: (x: Tensor, logSNR: Tensor, classes: Tensor)
    private let lossCoefficients: [Double]

    init(preset p: DiMRConfig.Preset, batch: Int, precision: Precision, checkpointing: Bool) throws {
        let model = try DiMRModel(config: p.config, generator: Generator(seed: 0))
        model.gradientCheckpointing = checkpointing
        model.train()
        let groups = ParameterGroup.grouped(model.namedParameters(), weightDecay: ParameterGroup.noDecay(["nodecay_weight", "nodecay_bias"]))
        optimizer = try AdamW(groups: groups, learningRate: 2e-4, betas: (0.99, 0.99), weightDecay: 0.03)
        let g = try Generator(seed: 1)
        let s = p.imageSize
        inputs = (try Tensor.randn([batch, p.config.channels, s, s], generator: g),
                  try NoiseSchedule.timeCondition(Tensor.randint(1, 1001, [batch], generator: g)),
                  try Tensor.randint(0, (p.config.numClasses ?? 2) - 1, [batch], generator: g))
        network = MixedPrecisionNetwork(model, precision: precision)
        lossCoefficients = p.lossCoefficients
    }

    /// Forward, loss, backward and optimizer step.
    func step() throws {
        let outputs = try network.predict(inputs.x, logSNR: inputs.logSNR, classes: inputs.classes)
        var loss = try Tensor.zeros([])
        for (o, c) in zip(outputs, lossCoefficients) { loss = try loss + o.square().mean() * c }
        try optimizer.zeroGrad()
        try loss.backward()
        try optimizer.step()
    }
}
