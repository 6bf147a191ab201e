import Diffusion
import Foundation
import Pipeline
@testable import Serve
import Testing

/// Retry-After on a full queue tells when the running batch likely ends (when queued jobs start and slots free),
/// from its remaining solver steps and its pace so far; with the store's clock given, so the numbers are exact.
@Suite struct RetryAfterTests {
    /// A store (with no worker) and a spec for a default request of the tiny model.
    func store(capacity: Int) throws -> (JobStore, JobSpec) {
        var configuration = ServeConfiguration()
        configuration.queueCapacity = capacity
        configuration.outputFolder = try temporaryFolder() + "/out"
        let path = TinyModel.path
        let model = ModelSummary(file: try ModelFile(path: path), path: path)
        let spec = try JobSpec(GenerateRequest(), model: model, limits: configuration, schedule: try NoiseSchedule.stableDiffusion())
        return (JobStore(configuration: configuration), spec)
    }

    /// The Retry-After of the 429 that `submit` throws.
    func retryAfter(_ store: JobStore, _ spec: JobSpec, now: Date) throws -> Int? {
        do {
            _ = try store.submit(spec, now: now)
            return nil
        } catch let error as APIError {
            #expect(error.status == .tooManyRequests)
            return error.headers[.retryAfter].flatMap { Int($0) }
        }
    }

    @Test func retryAfterIsTheRunningBatchsRemainingTime() throws {
        let (store, spec) = try store(capacity: 1)
        let t0 = Date(timeIntervalSinceReferenceDate: 1_000_000)
        _ = try store.submit(spec, now: t0)
        let batch = try #require(store.nextBatch())
        // 100 solver steps; 10 done in 7.5 s: 0.75 s per step, 90 to go.
        store.batchStarted(steps: 100, at: t0)
        store.batchStep(10, at: t0 + 7.5)
        _ = try store.submit(spec, now: t0 + 7.5)   // fills the queue
        #expect(try retryAfter(store, spec, now: t0 + 7.5) == 68)
        // Two seconds later, two seconds less.
        #expect(try retryAfter(store, spec, now: t0 + 9.5) == 66)
        // Never below 1 s, never above the cap.
        store.batchStep(99, at: t0 + 74.25)
        #expect(try retryAfter(store, spec, now: t0 + 80) == 1)
        store.finished(batch)
        let next = try #require(store.nextBatch())
        store.batchStarted(steps: 1000, at: t0 + 100)
        store.batchStep(1, at: t0 + 110)
        _ = try store.submit(spec, now: t0 + 110)
        #expect(try retryAfter(store, spec, now: t0 + 110) == BatchPace.cap)
        store.finished(next)
        store.shutdown(reason: "test")
    }

    @Test func beforeTheFirstStepTheLastPaceIsUsed() {
        var pace = BatchPace()
        let t0 = Date(timeIntervalSinceReferenceDate: 0)
        #expect(pace.secondsUntilFree(at: t0) == 1)   // nothing running
        pace.start(steps: 10, at: t0)
        pace.step(10, at: t0 + 20)                      // 2 s per step
        pace.finish()
        pace.start(steps: 30, at: t0 + 21)
        #expect(pace.secondsUntilFree(at: t0 + 21) == 60)
        #expect(pace.secondsUntilFree(at: t0 + 31) == 50)
    }
}
