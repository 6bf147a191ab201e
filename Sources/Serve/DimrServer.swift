import Diffusion
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Pipeline
import ServiceLifecycle
import Torch

/// `dimr serve`: an HTTP API and a page for sampling one loaded model, on Hummingbird 2.
///
/// Requests are checked, queued (bounded) and sampled in order by one worker thread, batching requests with the
/// same settings. Shut-down (SIGINT/SIGTERM when `run(handleSignals: true)`, or `shutdown()`) cancels the queued
/// and running jobs, waits for the worker to stop, then lets the HTTP server finish its open requests (for up to
/// the grace period) and close. At start it removes the job folders an earlier run left in the output folder.
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

    /// Prepares a server for `file` (read from `path`): checks the settings, creates and locks the output folder, and
    /// removes the job folders an earlier server left in it (`StaleJobs`).
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
        // Holding the lock, no other server uses the folder: the job folders in it are an earlier run's.
        StaleJobs.remove(in: configuration.outputFolder)
        self.configuration = configuration
        model = ModelSummary(file: file, path: path)
        schedule = try NoiseSchedule.stableDiffusion()
        store = JobStore(configuration: configuration)
        worker = try SamplingWorker(model: file, store: store, device: device, schedule: schedule)
    }

    /// Serves until shut down (call once); `onRunning` is told the bound host and port (useful with port 0).
    ///
    /// A shut-down cancels the queued and running jobs, waits for the worker to finish its current solver step,
    /// then lets open requests finish for up to `configuration.shutdownGracePeriod` before closing their
    /// connections; `run` then returns.
    /// - Parameters:
    ///   - handleSignals: shut down gracefully on the first SIGINT or SIGTERM; on a second one call `onRepeatedSignal`.
    ///   - onRepeatedSignal: what a second signal does; by default the process exits at once with status 128 + the
    ///     signal's number (130 for SIGINT, 143 for SIGTERM).
    /// - Throws: `ServeError` when the address cannot be bound (e.g. the port is in use); the HTTP server's errors.
    public func run(handleSignals: Bool = true, onRunning: @escaping @Sendable (String, Int) -> Void = { _, _ in },
                    onRepeatedSignal: @escaping @Sendable (Int32) -> Void = DimrServer.exitAtOnce) async throws {
        var logger = Logger(label: "dimr-serve")
        logger.logLevel = .warning
        let router = Router(context: ServeContext.self)
        // Before the routes: middleware applies to the routes added after it (and to the answer for no route).
        router.add(middleware: RequestGuard(rules: HostRules(serverHost: configuration.host)))
        APIRoutes(store: store, model: model, configuration: configuration, schedule: schedule).register(on: router)
        let host = configuration.host
        // The idle timeout closes connections that stay silent: a request head or body that stops arriving, an
        // idle keep-alive connection. The connection limit keeps file descriptors for the rest.
        let http = HTTP1Channel.Configuration(idleTimeout: TimeAmount(configuration.idleTimeout))
        let app = Application(router: router, server: .dimrHTTP1(configuration: http),
                              configuration: .init(address: .hostname(host, port: configuration.port), serverName: "dimr-serve",
                                                   availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections,
                                                                                                             logger: logger)),
                              onServerRunning: { [state] channel in
                                  state.isListening = true
                                  onRunning(host, channel.localAddress?.port ?? 0)
                              },
                              logger: logger)
        // Shut down in reverse order: the worker first (ending every job and event stream), then the HTTP server,
        // which after the grace period is cancelled: its remaining connections are closed.
        var group = ServiceGroupConfiguration(services: [.init(service: app), .init(service: WorkerService(worker: worker, store: store))],
                                              logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
        let serviceGroup = ServiceGroup(configuration: group)
        state.serviceGroup = serviceGroup
        let signals = handleSignals
            ? ShutdownSignals(first: { [weak self] _ in Task { await self?.shutdown() } }, again: onRepeatedSignal) : nil
        defer {
            signals?.cancel()
            lock.release()
        }
        do {
            try await serviceGroup.run()
        } catch where !state.isListening {
            throw ServeError("cannot listen on \(host.contains(":") ? "[\(host)]" : host):\(configuration.port): \(Self.reason(error))")
        } catch is CancellationError where state.isStopping {
            // The grace period ended with connections still open: they were closed.
        }
    }

    /// Ends the process at once with status 128 + `signal` (130 for SIGINT, 143 for SIGTERM, as a shell reports a
    /// process the signal killed), after saying so on standard error: what a second signal does by default.
    public static func exitAtOnce(_ signal: Int32) {
        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
        fflush(nil)
        FileHandle.standardError.write(Data("dimr serve: \(name) again: exiting at once\n".utf8))
        _exit(128 + signal)
    }

    /// The reason of a failure to listen, in plain words ("address already in use").
    static func reason(_ error: any Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        let text = String(cString: strerror(error.errnoCode))
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    /// Starts the graceful shut-down of a running server (as SIGTERM does).
    public func shutdown() async {
        state.isStopping = true
        await state.serviceGroup?.triggerGracefulShutdown()
    }
}
