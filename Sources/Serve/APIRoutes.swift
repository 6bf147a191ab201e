import Foundation
import Hummingbird
import NIOCore
import Diffusion
import Pipeline

/// The HTTP side of `dimr serve`: parses and checks requests, hands jobs to the store, and answers from it.
///
/// Nothing here touches the model. File answers read paths built from the server's job id and an integer
/// image index, never from client text.
struct APIRoutes: Sendable {
    let store: JobStore
    let model: ModelSummary
    let configuration: ServeConfiguration
    let schedule: NoiseSchedule

    /// Adds every route of `RouteTable` to `router`.
    func register(on router: Router<ServeContext>) {
        router.get("/") { _, _ in
            JSONResponse.bytes(Data(ServePage.html.utf8), contentType: "text/html; charset=utf-8")
        }
        router.get("/openapi.json") { _, _ in
            JSONResponse.bytes(Data(OpenAPIDocument.json.utf8), contentType: "application/json; charset=utf-8")
        }
        router.get("/healthz") { _, _ in
            let counts = store.counts
            return try JSONResponse.make(APIAnswers.Health(status: store.isStopping ? "stopping" : "ok", queued: counts.queued,
                                                running: counts.running, queueCapacity: configuration.queueCapacity))
        }
        router.get("/v1/models") { _, _ in
            try JSONResponse.make(APIAnswers.Models(models: [model], limits: APIAnswers.Limits(configuration)))
        }
        router.post("/v1/generate") { request, context in try await generate(request, context: context) }
        router.get("/v1/jobs/{id}") { _, context in
            let job = try job(context)
            return try JSONResponse.make(job.status(position: store.position(of: job)))
        }
        router.delete("/v1/jobs/{id}") { _, context in
            let id = try context.parameters.require("id")
            let job = try store.cancel(id)
            return try JSONResponse.make(job.status(position: nil))
        }
        router.get("/v1/jobs/{id}/events") { _, context in
            let stream = try job(context).subscribe()
            let body = ResponseBody { writer in
                for await event in stream { try await writer.write(ByteBuffer(string: event.serverSentEvent)) }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        }
        router.get("/v1/jobs/{id}/images/{k}.png") { _, context in
            let job = try finishedJob(context)
            let text = try context.parameters.require("k")
            // Only the canonical name: images/7.png, not 07.png or +7.png.
            guard text.count <= 9, text.allSatisfy(\.isASCII), let k = Int(text), String(k) == text, k >= 0, k < job.spec.imageCount else {
                throw APIError(.notFound, field: "k", "the job has images 0...\(job.spec.imageCount - 1), named 0.png, 1.png, ...")
            }
            return try file(JobOutputs.imagePath(job, k), type: "image/png", download: "\(job.id)-\(k).png")
        }
        router.get("/v1/jobs/{id}/grid.png") { _, context in
            let job = try finishedJob(context)
            return try file(JobOutputs.gridPath(job), type: "image/png", download: "\(job.id)-grid.png")
        }
        router.get("/v1/jobs/{id}/samples.npz") { _, context in
            let job = try finishedJob(context)
            guard job.spec.settings.format == .npz else {
                throw APIError(.notFound, field: "format", "the job asked for format png; ask with format npz for samples.npz")
            }
            return try file(JobOutputs.archivePath(job), type: "application/octet-stream", download: "\(job.id)-samples.npz")
        }
    }

    /// `POST /v1/generate`: checks the body, queues a job, answers 202 with its status.
    private func generate(_ request: Request, context: ServeContext) async throws -> Response {
        // Exactly application/json: a browser sends other types (text/plain, forms) from any site without asking.
        let type = request.headers[.contentType]
        guard let type, Self.isJSON(type) else {
            throw APIError(.unsupportedMediaType, field: "Content-Type",
                           type.map { "send the body as application/json, not \($0.prefix(64))" }
                               ?? "send the body as application/json, with that Content-Type header")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > configuration.maxBodyBytes {
            throw APIError(.contentTooLarge, field: "body", "the body is \(length) bytes, more than the limit of \(configuration.maxBodyBytes)")
        }
        // The whole body must arrive within the idle timeout: a client trickling it byte by byte is cut off.
        let channel = context.channel
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(configuration.idleTimeout)) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch {
            throw APIError(.contentTooLarge, field: "body", "the body is more than the limit of \(configuration.maxBodyBytes) bytes")
        }
        let data = Data(buffer.readableBytesView)
        let spec = try JobSpec(GenerateRequest.decode(data), model: model, limits: configuration, schedule: schedule)
        let job = try store.submit(spec)
        var response = try JSONResponse.make(job.status(position: store.position(of: job)), status: .accepted)
        response.headers[.location] = "/v1/jobs/\(job.id)"
        return response
    }

    /// Whether a Content-Type names the media type application/json (parameters such as charset allowed).
    static func isJSON(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return media.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }

    private func job(_ context: ServeContext) throws -> Job {
        let id = try context.parameters.require("id")
        guard let job = store.job(id) else { throw APIError.unknownJob(id) }
        return job
    }

    /// The job of the route, which must be done.
    private func finishedJob(_ context: ServeContext) throws -> Job {
        let job = try job(context)
        switch job.state {
        case .done: return job
        case .queued, .running:
            throw APIError(.conflict, field: "id", "job \(job.id) is \(job.state.rawValue): its files exist once it is done")
        case .cancelled:
            throw APIError(.conflict, field: "id", "job \(job.id) was cancelled and has no files")
        case .failed:
            throw APIError(.conflict, field: "id", "job \(job.id) failed and has no files")
        }
    }

    private func file(_ path: String, type: String, download: String) throws -> Response {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw APIError(.notFound, "the file is gone (the job was forgotten)")
        }
        return JSONResponse.bytes(data, contentType: type, extra: [.contentDisposition: "inline; filename=\"\(download)\""])
    }
}
