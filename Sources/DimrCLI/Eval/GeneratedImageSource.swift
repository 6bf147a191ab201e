import Autoencoder
import Datasets
import DiMR
import Diffusion
import Foundation
import Pipeline
import Torch

/// Class-balanced samples of a model, generated a batch at a time: image k has class k mod C and starts
/// from the noise of (seed, k) (`InitialNoise`, as `dimr sample` draws it), so every prefix of 5000 images
/// (an Inception Score split) holds every class equally often, and the images do not depend on the batch
/// size. Each batch is converted to uint8 as `dimr sample` saves images, and optionally appended to an
/// ADM-layout `.npz` (3 channels).
struct GeneratedImageSource: EvalImageSource {
    let file: ModelFile
    let path: String
    let count: Int
    let sampler: any Sampler
    let guidance: Guidance
    let guidanceInterval: GuidanceInterval?
    let network: MixedPrecisionNetwork
    let decoder: AutoencoderKL?
    let seed: UInt64
    let batchSize: Int
    let device: Device
    let writer: NPZSampleWriter?
    private var handedOut = 0

    init(file: ModelFile, path: String, count: Int, sampler: any Sampler, guidance: Guidance, guidanceInterval: GuidanceInterval?,
         precision: Precision, decoder: AutoencoderKL?, seed: UInt64, batchSize: Int, device: Device, savingTo writer: NPZSampleWriter?) {
        self.file = file
        self.path = path
        self.count = count
        self.sampler = sampler
        self.guidance = guidance
        self.guidanceInterval = guidanceInterval
        self.network = MixedPrecisionNetwork(file.model, precision: precision)
        self.decoder = decoder
        self.seed = seed
        self.batchSize = batchSize
        self.device = device
        self.writer = writer
    }

    var classCount: Int { file.nullClass }
    var imageShape: (height: Int, width: Int, channels: Int) {
        guard let decoder else { return (file.imageSize, file.imageSize, file.config.channels) }
        let size = file.imageSize << (decoder.config.chMult.count - 1)
        return (size, size, decoder.config.outCh)
    }
    var description: String { "\(count) samples of \(path) (\(file.weights.description) weights)" }
    var hasLabels: Bool { true }

    /// The label of image k.
    func label(_ k: Int) -> Int64 { Int64(k % classCount) }

    mutating func next() throws -> (images: Tensor, labels: Tensor?)? {
        guard handedOut < count else { return nil }
        let end = min(handedOut + batchSize, count)
        let labels = try Tensor((handedOut..<end).map(label))
        let shape = [file.config.channels, file.imageSize, file.imageSize]
        let noise = try InitialNoise.make(seed: seed, indices: handedOut..<end, shape: shape, device: device)
        var images = try withNoGrad {
            try sampler.sample(network: network, noise: noise, classes: labels.to(device: device), nullClass: file.nullClass,
                               guidance: guidance, guidanceInterval: guidanceInterval,
                               imageIndices: handedOut..<end).to(device: .cpu)
        }
        try ClassGridSampler.checkFinite(images, indices: handedOut..<end)
        if let decoder {  // latents -> RGB in [-1, 1], as dimr sample decodes them
            images = try withNoGrad { try decoder.decode(images.to(device: device)).clamp(min: -1, max: 1).to(device: .cpu) }
        }
        try writer?.append(images: images, labels: labels)
        handedOut = end
        return (try ImageConversion.toUInt8NHWC(images), labels)
    }
}
