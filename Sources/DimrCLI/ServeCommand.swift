import ArgumentParser
import Dispatch
import Foundation
import Pipeline
import Serve
import Torch

/// `dimr serve`: an HTTP API and a browser page to generate images with live progress.
struct ServeCommand: ParsableCommand {
    /// The server's settings that have no option: their values in the help text.
    private static let defaults = ServeConfiguration()

    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over HTTP: a JSON API with live progress events, and a page to use it from a browser.",
        discussion: """
        Loads MODEL once (default: the bundled models/dimr-fmnist-3r.safetensors) and answers on http://HOST:PORT/: \
        the page at /, the API under /v1 (POST /v1/generate, GET /v1/jobs/ID, its /events stream, its images), \
        /v1/models, /healthz, and the API's OpenAPI description at /openapi.json.
        One worker samples the queued requests in order, batching requests with the same sampler, steps and guidance; \
        a full queue answers 429 with Retry-After. Each job's files go to OUTPUT/ID/ (the id is the server's); the \
        oldest finished jobs beyond --keep-jobs are forgotten and their folders deleted.
        Ctrl-C or SIGTERM cancels the queued and running jobs, lets open requests finish for up to \
        \(defaults.shutdownGracePeriod.components.seconds) s (then closes their connections), and exits with status 0; \
        a second Ctrl-C or SIGTERM exits at once, with status 130 (SIGINT) or 143 (SIGTERM). Connections silent for \
        \(defaults.idleTimeout.components.seconds) s are closed; at most \(defaults.maxConnections) are open at once.
        Requests must name the server by an IP address, localhost or the --host value (the Host header: a defence \
        against DNS rebinding), and a browser's requests must come from the server's own page (the Origin header).
        The server has no authentication: keep --host at 127.0.0.1 unless the network is trusted.
        """)

    @Argument(help: "A training checkpoint or exported weights (.safetensors) of a class-conditional model making 1- or 3-channel images.")
    var model: String?
    @Option(help: "Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface).") var host: String = "127.0.0.1"
    @Option(parsing: .unconditional, help: "TCP port, 0...65535 (0: any free port; the one taken is printed).") var port: Int = 8080
    @Option(help: "Folder for the jobs' files; job folders an earlier server left there are removed at start.")
    var output: String = "dimr-serve"
    @Option(parsing: .unconditional, help: "Most images one request may ask for (classes x per_class), 1...--batch-size.") var maxImages: Int = 64
    @Option(parsing: .unconditional, help: "Most images sampled in one network batch, 1...4096.") var batchSize: Int = 64
    @Option(parsing: .unconditional, help: "Most solver steps a request may ask for, 1...1000.") var maxSteps: Int = 250
    @Option(parsing: .unconditional, help: "Most jobs waiting before requests get 429, 1...10000.") var queue: Int = 32
    @Option(parsing: .unconditional, help: "Finished jobs kept with their files, 1...100000.") var keepJobs: Int = 100
    @Flag(help: "Use the raw weights instead of the EMA ones (training checkpoints only).") var noEma = false
    @Option(parsing: .unconditional, help: "Intra-op threads, 1...\(OptionChecks.maxThreads) (default: libtorch's).") var threads: Int?
    @Option(help: "Device: cpu or cuda[:N].") var device: String = "cpu"

    func validate() throws {
        try OptionChecks.threads(threads)
        _ = try OptionChecks.device(device)
        try OptionChecks.integer("--port", port, in: 0...65535)
        try OptionChecks.integer("--batch-size", batchSize, in: 1...4096)
        try OptionChecks.integer("--max-images", maxImages, in: 1...batchSize, meaning: "at most --batch-size")
        try OptionChecks.integer("--max-steps", maxSteps, in: 1...1000)
        try OptionChecks.integer("--queue", queue, in: 1...10_000)
        try OptionChecks.integer("--keep-jobs", keepJobs, in: 1...100_000)
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
    }

    func run() throws {
        try OptionChecks.plainErrors {
            OptionChecks.applyThreads(threads)
            let device = try OptionChecks.device(device)
            let path = try model ?? Self.bundledModel()
            let file = try ModelFile(path: path, useEMA: !noEma, device: device)
            var settings = ServeConfiguration()
            settings.host = host
            settings.port = port
            settings.outputFolder = output
            settings.maxImagesPerRequest = maxImages
            settings.batchSize = batchSize
            settings.maxSteps = maxSteps
            settings.queueCapacity = queue
            settings.keepJobs = keepJobs
            let server = try DimrServer(model: file, path: path, configuration: settings, device: device)
            Console.line("model: \(path): \(server.model.parameters) parameters (\(server.model.weights) weights), "
                         + "\(server.model.imageShape.map(String.init).joined(separator: "x")), \(server.model.classes.count) classes")
            // The server runs on Swift concurrency's threads; this thread waits for it to end.
            let done = DispatchSemaphore(value: 0)
            let outcome = Outcome()
            Task.detached {
                do {
                    try await server.run(handleSignals: true) { host, port in
                        Console.line("listening on http://\(host.contains(":") ? "[\(host)]" : host):\(port)/ (Ctrl-C stops)")
                    }
                } catch {
                    outcome.error = error
                }
                done.signal()
            }
            done.wait()
            if let error = outcome.error { throw error }
            Console.line("stopped")
        }
    }

    /// The bundled model: models/dimr-fmnist-3r.safetensors in the current folder or in the package the executable was built in.
    static func bundledModel() throws -> String {
        let name = "models/dimr-fmnist-3r.safetensors"
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // .build/<configuration>/dimr -> the package folder three levels up.
        let package = executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [name, package.appendingPathComponent(name).path]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError("no MODEL given and the bundled \(name) is not in the current folder nor next to the build; give MODEL")
        }
        return found
    }

    /// The server's error, handed from its task to the waiting thread.
    private final class Outcome: @unchecked Sendable {
        var error: (any Error)?
    }
}
