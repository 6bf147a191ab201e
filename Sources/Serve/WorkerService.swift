import ServiceLifecycle

/// The sampling worker as a service: starts the thread, and on graceful shut-down cancels every job and waits for it.
struct WorkerService: Service {
    let worker: SamplingWorker
    let store: JobStore

    func run() async throws {
        worker.start()
        try? await gracefulShutdown()
        store.shutdown(reason: "the server is shutting down")
        await worker.waitUntilStopped()
    }
}
