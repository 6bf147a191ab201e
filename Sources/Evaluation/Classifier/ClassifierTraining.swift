import Foundation
import NN
import Torch

/// Trains a `FashionClassifier`: AdamW with decoupled weight decay on the convolution and linear weights,
/// a linear warm-up then cosine decay of the learning rate, random horizontal flips and shifts of up to
/// `maxShift` pixels (filled with background) as augmentation, cross-entropy loss.
///
/// Deterministic for a seed on one machine: initialisation, shuffling and augmentation draw from generators
/// seeded from it, dropout from libtorch's default generator, seeded too.
public struct ClassifierTraining: Sendable {
    /// Passes over the training images.
    public var epochs = 15
    /// Images per step.
    public var batchSize = 128
    /// Peak learning rate.
    public var learningRate = 2e-3
    /// AdamW's decoupled weight decay (convolution and linear weights only).
    public var weightDecay = 0.05
    /// Steps of linear warm-up.
    public var warmupSteps = 200
    /// Largest random shift in pixels.
    public var maxShift = 2
    /// Seed of every random draw.
    public var seed: UInt64 = 0

    /// Default settings.
    public init() {}

    /// Checks the settings. - Throws: `EvaluationError` naming the first bad one.
    public func validate() throws {
        guard epochs >= 1 else { throw EvaluationError("epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 2 else { throw EvaluationError("the batch size must be at least 2 (batch norm), got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw EvaluationError("the learning rate must be positive, got \(learningRate)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw EvaluationError("the weight decay must be non-negative, got \(weightDecay)") }
        guard warmupSteps >= 0, (0...8).contains(maxShift) else {
            throw EvaluationError("warm-up steps must be non-negative and the shift in 0...8, got \(warmupSteps) and \(maxShift)")
        }
    }

    /// Trains `model` on `images` (N, 1, 32, 32) in [-1, 1] with `labels` (N), scoring `testImages` after each
    /// epoch; `onEpoch` hears each epoch's record, `onStep` (step, steps in all, loss) each step.
    public func run(model: FashionClassifier, images: Tensor, labels: Tensor, testImages: Tensor, testLabels: Tensor,
                    onStep: (Int, Int, Double) -> Void = { _, _, _ in },
                    onEpoch: (ClassifierEpoch) -> Void = { _ in }) throws -> [ClassifierEpoch] {
        try validate()
        guard images.rank == 4, labels.rank == 1, images.size(0) == labels.size(0), images.size(0) >= batchSize else {
            throw EvaluationError("training needs images (N, 1, 32, 32) and labels (N) with N >= the batch size, got \(images.shape) and \(labels.shape)")
        }
        Torch.manualSeed(seed)
        let shuffling = try Generator(seed: seed &+ 1)
        let augmenting = try Generator(seed: seed &+ 2)
        let named = model.namedParameters()
        let groups = ParameterGroup.grouped(named) { name in
            name.hasSuffix("weight") && (name.hasPrefix("conv") || name.hasPrefix("fc")) ? nil : 0
        }
        let optimizer = try AdamW(groups: groups, learningRate: learningRate, weightDecay: weightDecay)
        let stepsPerEpoch = images.size(0) / batchSize
        let totalSteps = stepsPerEpoch * epochs
        var step = 0
        var records: [ClassifierEpoch] = []
        for epoch in 1...epochs {
            let started = Date()
            model.train()
            let order = try Tensor.randperm(images.size(0), generator: shuffling)
            var lossSum = 0.0
            for b in 0..<stepsPerEpoch {
                let index = try order.narrow(dim: 0, start: b * batchSize, length: batchSize)
                let x = try augmented(images.indexSelect(dim: 0, index: index), generator: augmenting)
                let y = try labels.indexSelect(dim: 0, index: index)
                optimizer.learningRate = rate(at: step, of: totalSteps)
                try optimizer.zeroGrad()
                let loss = try model.forward(x).logits.crossEntropy(target: y)
                try loss.backward()
                try optimizer.step()
                let value = try loss.item()
                guard value.isFinite else { throw EvaluationError("the training loss became \(value) at step \(step + 1)") }
                lossSum += value
                step += 1
                onStep(step, totalSteps, value)
            }
            let accuracy = try Self.accuracy(model: model, images: testImages, labels: testLabels)
            let record = ClassifierEpoch(epoch: epoch, trainLoss: lossSum / Double(stepsPerEpoch), testAccuracy: accuracy.overall,
                                         seconds: Date().timeIntervalSince(started))
            records.append(record)
            onEpoch(record)
        }
        model.eval()
        return records
    }

    /// Linear warm-up to the peak, then cosine decay to zero at `total`.
    func rate(at step: Int, of total: Int) -> Double {
        if step < warmupSteps { return learningRate * Double(step + 1) / Double(warmupSteps) }
        let progress = Double(step - warmupSteps) / Double(max(1, total - warmupSteps))
        return learningRate * 0.5 * (1 + cos(Double.pi * min(1, progress)))
    }

    /// Each image flipped left-right with probability 1/2 and shifted by up to `maxShift` pixels each way.
    func augmented(_ x: Tensor, generator: Generator) throws -> Tensor {
        let n = x.size(0), side = x.size(3)
        let flip = try Tensor.rand([n, 1, 1, 1], generator: generator) .< 0.5
        let flipped = try `where`(flip, x.flip([3]), x)
        guard maxShift > 0 else { return flipped }
        let padded = try flipped.pad([maxShift, maxShift, maxShift, maxShift], value: -1)
        let offsets = try Tensor.randint(0, 2 * maxShift + 1, [n, 2], generator: generator).toArray(Int64.self)
        var rows: [Tensor] = []
        for i in 0..<n {
            let image = try padded.narrow(dim: 0, start: i, length: 1)
            rows.append(try image.narrow(dim: 2, start: Int(offsets[2 * i]), length: side)
                .narrow(dim: 3, start: Int(offsets[2 * i + 1]), length: side))
        }
        return try Tensor.cat(rows)
    }

    /// The accuracy of `model` (put in evaluation mode) on images (N, 1, 32, 32) in [-1, 1], in batches of 500.
    public static func accuracy(model: FashionClassifier, images: Tensor, labels: Tensor) throws -> ClassAccuracy {
        model.eval()
        var tally = ClassAccuracy(classCount: FashionClassifier.classCount)
        var start = 0
        while start < images.size(0) {
            let count = min(500, images.size(0) - start)
            let logits = try withNoGrad { try model.forward(images.narrow(dim: 0, start: start, length: count)).logits }
            try tally.add(logits: logits, labels: labels.narrow(dim: 0, start: start, length: count))
            start += count
        }
        return tally
    }
}
