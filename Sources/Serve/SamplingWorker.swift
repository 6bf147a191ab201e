import Datasets
import Diffusion
import Foundation
import Pipeline
import Torch

/// The one thread that samples: takes batches from the store, runs the denoising loop step by step, reports
/// progress (and previews) to each job, stops early when every job of the batch was cancelled, and writes
/// each job's files.
///
/// The model is touched only on this thread. Each request's image k starts from noise seeded by (its seed, k),
/// so a request's images do not depend on the requests it is batched with.
final class SamplingWorker: @unchecked Sendable {
    private let model: ModelFile
    private let store: JobStore
    private let device: Device
    private let imageShape: [Int]
    private let previewSchedule: InterpolatedVPSchedule
    private let stopped = DispatchSemaphore(value: 0)
    private var thread: Thread?

    init(model: ModelFile, store: JobStore, device: Device, schedule: NoiseSchedule) throws {
        self.model = model
        self.store = store
        self.device = device
        imageShape = [model.config.channels, model.imageSize, model.imageSize]
        previewSchedule = try InterpolatedVPSchedule(schedule)
    }

    /// Starts the thread (once).
    func start() {
        precondition(thread == nil, "the sampling worker is started once")
        let thread = Thread { [self] in
            while let batch = store.nextBatch() {
                do {
                    try run(batch)
                } catch {
                    for job in batch { job.fail(FileErrors.reason(error)) }
                }
                store.finished(batch)
            }
            stopped.signal()
        }
        thread.name = "dimr-serve sampling"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Waits (without blocking a Swift concurrency thread) for the thread to end after `store.shutdown`.
    func waitUntilStopped() async {
        guard thread != nil else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { [stopped] in
                stopped.wait()
                stopped.signal()   // later waiters pass too
                continuation.resume()
            }
        }
    }

    /// Samples one batch of compatible jobs in one network batch.
    private func run(_ batch: [Job]) throws {
        guard let first = batch.first else { return }
        var noises: [Tensor] = []
        var labels: [Int64] = []
        var ranges: [Range<Int>] = []
        for job in batch {
            let n = job.spec.imageCount
            noises.append(try InitialNoise.make(seed: job.spec.settings.seed, indices: 0..<n, shape: imageShape, device: device))
            labels += (0..<n).map { Int64(job.spec.label(ofImage: $0)) }
            ranges.append(labels.count - n..<labels.count)
        }
        let noise = try Tensor.cat(noises)
        let classes = try Tensor(labels).to(device: device)
        let spec = first.spec
        let denoiser = try GuidedDenoiser(network: model.model, classes: classes, nullClass: model.nullClass,
                                          guidance: spec.guidance, guidanceInterval: spec.interval)
        let recorder = PreviewRecorder(denoiser, schedule: previewSchedule)
        // A stochastic sampler is never batched: its images are 0..<n of the one request.
        let loop = try spec.sampler.makeLoop(predictor: recorder, noise: noise, imageIndices: 0..<noise.size(0))
        store.batchStarted(steps: loop.stepCount)
        var active = batch.filter { $0.start(steps: loop.stepCount, batchJobs: batch.count, batchImages: labels.count) }
        while !active.isEmpty, let step = try loop.step() {
            store.batchStep(step.index + 1)
            let prediction = try needsPreview(active, step) ? recorder.lastPrediction() : nil
            for (job, range) in zip(batch, ranges) where job.isActive {
                var preview: String?
                if let prediction, wantsPreview(job, step) {
                    let rows = try prediction.narrow(dim: 0, start: range.lowerBound, length: range.count).to(device: .cpu)
                    preview = "data:image/png;base64," + Data(try PNG.encode(JobOutputs.grid(rows, spec: job.spec, classNames: model.classNames), level: 1)).base64EncodedString()
                }
                job.progress(step: step.index + 1, steps: step.count, time: step.time, preview: preview)
            }
            active = active.filter(\.isActive)
        }
        guard !active.isEmpty else { return }
        let images = try loop.sample.to(device: .cpu)
        for (job, range) in zip(batch, ranges) where job.isActive {
            do {
                try JobOutputs.write(try images.narrow(dim: 0, start: range.lowerBound, length: range.count), for: job, classNames: model.classNames)
                // Cancelled while writing: its files go.
                if !job.complete() { try? FileManager.default.removeItem(atPath: job.folder) }
            } catch {
                job.fail(FileErrors.reason(error))
                try? FileManager.default.removeItem(atPath: job.folder)
            }
        }
    }

    /// Whether `job` asked for a preview at `step`: every `preview_every` solver steps, and after the last one.
    static func wantsPreview(every: Int, step: Int, of count: Int) -> Bool {
        every > 0 && (step % every == 0 || step == count)
    }

    private func wantsPreview(_ job: Job, _ step: DenoisingStep) -> Bool {
        Self.wantsPreview(every: job.spec.settings.previewEvery, step: step.index + 1, of: step.count)
    }

    private func needsPreview(_ jobs: [Job], _ step: DenoisingStep) -> Bool {
        jobs.contains { wantsPreview($0, step) }
    }
}
