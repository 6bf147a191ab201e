/// The settings of `dimr serve`: where it listens, where it writes, and the limits checked before any work.
public struct ServeConfiguration: Sendable {
    /// Address to bind, e.g. `127.0.0.1` (loopback only) or `0.0.0.0`.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks a free one (the running server reports it).
    public var port: Int = 8080
    /// Folder holding one sub-folder per job (named by the server-generated job id).
    public var outputFolder: String = "dimr-serve"
    /// Most images one request may ask for (classes x per_class), 1...`batchSize`.
    public var maxImagesPerRequest: Int = 64
    /// Most images sampled in one network batch; compatible requests are batched up to this many.
    public var batchSize: Int = 64
    /// Most solver steps a request may ask for, 1...1000.
    public var maxSteps: Int = 250
    /// Most bytes of a request body.
    public var maxBodyBytes: Int = 16 * 1024
    /// Most jobs waiting (not counting the running batch); more answer 429 with Retry-After.
    public var queueCapacity: Int = 32
    /// Finished jobs kept (status, events and files); the oldest beyond this are forgotten and their files deleted.
    public var keepJobs: Int = 100
    /// How long a connection may stay silent: a request head must arrive whole, and a body make progress, within
    /// this; an idle keep-alive connection is closed after it. A request body must also arrive whole within it.
    public var idleTimeout: Duration = .seconds(30)
    /// How long a graceful shut-down waits for open requests before closing their connections.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// Most connections open at once; further clients wait in the listen backlog until one closes.
    public var maxConnections: Int = 256

    /// The defaults: loopback port 8080, output folder `dimr-serve`.
    public init() {}

    /// Checks the settings themselves.
    /// - Throws: `ServeError` naming the setting that is out of range.
    public func validate() throws {
        func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
            guard range.contains(value) else { throw ServeError("\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(value)") }
        }
        try check("port", port, 0...65535)
        try check("batch size", batchSize, 1...4096)
        try check("images per request", maxImagesPerRequest, 1...batchSize)
        try check("steps limit", maxSteps, 1...1000)
        try check("body size limit", maxBodyBytes, 256...(1 << 20))
        try check("queue capacity", queueCapacity, 1...10_000)
        try check("jobs kept", keepJobs, 1...100_000)
        try check("connection limit", maxConnections, 1...100_000)
        guard idleTimeout >= .milliseconds(100), idleTimeout <= .seconds(3600) else {
            throw ServeError("the idle timeout must be in 0.1...3600 s, got \(idleTimeout)")
        }
        guard shutdownGracePeriod >= .zero, shutdownGracePeriod <= .seconds(3600) else {
            throw ServeError("the shut-down grace period must be in 0...3600 s, got \(shutdownGracePeriod)")
        }
        guard !host.isEmpty else { throw ServeError("the host must not be empty") }
        guard !outputFolder.isEmpty else { throw ServeError("the output folder must not be empty") }
    }
}
