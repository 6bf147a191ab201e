import DiMR
import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Pipeline
@testable import Serve
import Torch

/// A test failure with a message.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh empty folder, removed when the test process exits.
func temporaryFolder(_ name: String = #function) throws -> String {
    try ScratchFolder.make(name)
}

/// A random two-stage model for 1x8x8 images with 3 named classes (+ the null class), written once per test process.
enum TinyModel {
    static let classNames = ["circle", "square", "star"]
    static let config = """
    {"channels": 1, "num_classes": 4, "norm_type": "TDRMSN", "block_grad_to_lowres": false, "stage_configs": [
     {"block_type": "TransformerBlock", "dim": 16, "hidden_dim": 32, "num_attention_heads": 2, "num_blocks": 1,
      "max_height": 4, "max_width": 4, "image_input_ratio": 1, "input_feature_ratio": 2, "final_kernel_size": 3, "dropout_prob": 0},
     {"block_type": "ConvNeXtBlock", "dim": 8, "hidden_dim": 16, "kernel_size": 3, "num_blocks": 1,
      "max_height": 8, "max_width": 8, "image_input_ratio": 1, "input_feature_ratio": 1, "final_kernel_size": 3, "dropout_prob": 0}]}
    """

    /// The model file's path.
    static let path: String = {
        do {
            let folder = try temporaryFolder("tinymodel")
            let model = try DiMRModel(config: DiMRConfig.fromJSON(config), generator: Generator(seed: 7))
            var tensors: [String: Tensor] = [:]
            for (name, tensor) in model.stateDict() { tensors["model." + name] = tensor }
            let names = String(decoding: try JSONEncoder().encode(classNames), as: UTF8.self)
            let path = folder + "/tiny.safetensors"
            try SafeTensors.save(tensors, metadata: ["config": config, Trainer.classNamesKey: names], to: path)
            return path
        } catch {
            preconditionFailure("cannot write the tiny test model: \(error)")
        }
    }()
}

/// A server on a free loopback port, serving the tiny model from a fresh output folder.
final class TestServer: @unchecked Sendable {
    let server: DimrServer
    let base: URL
    let output: String
    private let task: Task<Void, any Error>

    /// Starts a server with `adjust` applied to the default test settings.
    static func start(_ adjust: (inout ServeConfiguration) -> Void = { _ in }, name: String = #function) async throws -> TestServer {
        var configuration = ServeConfiguration()
        configuration.port = 0
        configuration.outputFolder = try temporaryFolder(name) + "/out"
        configuration.maxSteps = 1000
        adjust(&configuration)
        let file = try ModelFile(path: TinyModel.path)
        let server = try DimrServer(model: file, path: TinyModel.path, configuration: configuration)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            try await server.run(handleSignals: false) { _, port in continuation.yield(port) }
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try await task.value
            throw TestFailure("the server ended before listening")
        }
        return TestServer(server: server, port: port, output: configuration.outputFolder, task: task)
    }

    private init(server: DimrServer, port: Int, output: String, task: Task<Void, any Error>) {
        self.server = server
        base = URL(string: "http://127.0.0.1:\(port)") ?? URL(fileURLWithPath: "/")
        self.output = output
        self.task = task
    }

    /// Shuts down gracefully and waits for `run` to return.
    func stop() async throws {
        await server.shutdown()
        try await task.value
    }

    /// The job store, for tests that hold the worker.
    var store: JobStore { server.store }

    /// The port it listens on.
    var port: Int { base.port ?? 0 }
}

/// A plain HTTP client over URLSession.
struct HTTPClient {
    let base: URL
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 120
        return URLSession(configuration: configuration)
    }()

    init(_ base: URL) { self.base = base }

    /// Sends `method path` with an optional body (JSON when `contentType` is not given).
    func send(_ method: String, _ path: String, body: Data? = nil, contentType: String? = "application/json") async throws -> HTTPAnswer {
        guard let url = URL(string: path, relativeTo: base) else { throw TestFailure("bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let body {
            request.httpBody = body
            if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        }
        let (data, response) = try await Self.session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TestFailure("no HTTP response for \(path)") }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers["\(key)"] = "\(value)" }
        return HTTPAnswer(status: http.statusCode, headers: headers, body: data)
    }

    func get(_ path: String) async throws -> HTTPAnswer { try await send("GET", path) }

    /// POSTs a JSON object.
    func post(_ path: String, json: [String: Any]) async throws -> HTTPAnswer {
        try await send("POST", path, body: JSONSerialization.data(withJSONObject: json))
    }

    /// Posts a generate request; returns the job id (expects 202).
    func generate(_ json: [String: Any]) async throws -> String {
        let answer = try await post("/v1/generate", json: json)
        guard answer.status == 202, let id = try answer.json()["id"] as? String else {
            throw TestFailure("generate answered \(answer.status): \(answer.text)")
        }
        return id
    }

    /// Polls the job until it ends (or `seconds` pass); returns its final status.
    func waitForEnd(_ id: String, seconds: Double = 120) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let status = try await get("/v1/jobs/\(id)").json()
            if let state = status["status"] as? String, ["done", "failed", "cancelled"].contains(state) { return status }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw TestFailure("job \(id) did not end within \(seconds) s")
    }

    /// The whole event stream of a job (it ends after the job's last event), as (name, payload) pairs.
    func events(_ id: String) async throws -> [(name: String, data: [String: Any])] {
        let answer = try await get("/v1/jobs/\(id)/events")
        guard answer.status == 200 else { throw TestFailure("events answered \(answer.status)") }
        return try answer.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
            var name = "", data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            guard let object = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else {
                throw TestFailure("event data is not an object: \(data)")
            }
            return (name, object)
        }
    }
}

/// Prints a line to standard error at once (standard output is buffered until the run ends when piped).
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
