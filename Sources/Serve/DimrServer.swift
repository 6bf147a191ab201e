import Diffusion
import Foundation
import Hummingbird
import Logging
import Pipeline
import ServiceLifecycle
import Torch

/// `dimr serve`: an HTTP API and a page for sampling one loaded model, on Hummingbird 2.
///
/// Requests are checked, queued (bounded) and sampled in order by one worker thread, batching requests with the
/// same settings. Shut-down (SIGINT/SIGTERM when `run(handleSignals: true)`, or `shutdown()`) cancels the queued
/// and running jobs, waits for the worker to stop, then lets the HTTP server finish its open requests and close.
/// Unchecked Sendable: the output lock is only released when `run` ends; everything else is Sendable.
public final class DimrServer: @unchecked Sendable {
    /// The settings it runs with.
    public let configuration: ServeConfiguration
    /// The model it serves.
    public let model: ModelSummary
    let store: JobStore
    private let worker: SamplingWorker
    private let schedule: NoiseSchedule
    private let lock: OutputLock
    private let state = RunState()

    /// Prepares a server for `file` (read from `path`): checks the settings, creates and locks the output folder.
    /// - Throws: `ServeError` for settings out of range or a model whose samples are not images (1 or 3 channels);
    ///   `PipelineError` when the output folder cannot be created or is in use by another run.
    public init(model file: ModelFile, path: String, configuration: ServeConfiguration, device: Device = .cpu) throws {
        try configuration.validate()
        let channels = file.config.channels
        guard [1, 3].contains(channels) else {
            throw ServeError("\(path) makes \(channels)-channel samples (latents); dimr serve serves models whose samples are images (1 or 3 channels)")
        }
        try FileErrors.createFolder(configuration.outputFolder)
        try FileErrors.checkWritable(folder: configuration.outputFolder)
        lock = try OutputLock(folder: configuration.outputFolder, command: "dimr serve")
        self.configuration = configuration
        model = ModelSummary(file: file, path: path)
        schedule = try NoiseSchedule.stableDiffusion()
        store = JobStore(configuration: configuration)
        worker = try SamplingWorker(model: file, store: store, device: device, schedule: schedule)
    }

    /// Serves until shut down (call once); `onRunning` is told the bound host and port (useful with port 0).
    /// - Parameter handleSignals: shut down gracefully on SIGINT and SIGTERM.
    /// - Throws: `ServeError` when the address cannot be bound (e.g. the port is in use); the HTTP server's errors.
    public func run(handleSignals: Bool = true, onRunning: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws {
        var logger = Logger(label: "dimr-serve")
        logger.logLevel = .warning
        let router = Router()
        APIRoutes(store: store, model: model, configuration: configuration, schedule: schedule).register(on: router)
        let host = configuration.host
        let app = Application(router: router,
                              configuration: .init(address: .hostname(host, port: configuration.port), serverName: "dimr-serve"),
                              onServerRunning: { [state] channel in
                                  state.isListening = true
                                  onRunning(host, channel.localAddress?.port ?? 0)
                              },
                              logger: logger)
        // Shut down in reverse order: the worker first (ending every job and event stream), then the HTTP server.
        let serviceGroup = ServiceGroup(services: [app, WorkerService(worker: worker, store: store)],
                                        gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [], logger: logger)
        state.serviceGroup = serviceGroup
        defer { lock.release() }
        do {
            try await serviceGroup.run()
        } catch where !state.isListening {
            throw ServeError("cannot listen on \(host):\(configuration.port): \(error)")
        }
    }

    /// Starts the graceful shut-down of a running server (as SIGTERM does).
    public func shutdown() async {
        await state.serviceGroup?.triggerGracefulShutdown()
    }
}
