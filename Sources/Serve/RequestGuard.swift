import Hummingbird

/// The middleware in front of every route: refuses requests whose Host is not one this server answers to
/// (DNS rebinding) or whose Origin is another site's (cross-site requests), and turns every error into a
/// JSON answer: unknown paths 404, known paths with another method 405 with `Allow`, anything else 500.
struct RequestGuard: RouterMiddleware {
    typealias Context = ServeContext

    let rules: HostRules

    func handle(_ request: Request, context: ServeContext,
                next: (Request, ServeContext) async throws -> Response) async throws -> Response {
        try check(request)
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError where error.status == .notFound {
            // The router's answer for a path without a route, or a route without this method.
            throw RouteTable.unanswered(request)
        } catch let error as HTTPError {
            throw APIError(error.status, error.body ?? error.status.reasonPhrase, headers: error.headers)
        } catch {
            throw APIError(.internalServerError, "internal error: \(String(describing: error).prefix(256))")
        }
    }

    /// Checks the Host and Origin headers.
    /// - Throws: `APIError` 403 naming the header at fault.
    func check(_ request: Request) throws {
        // HTTP/1.1 puts the Host header in the request's authority; a repeated Host stays among the fields.
        let hosts = [request.head.authority].compactMap { $0 }
            + request.headers.filter { $0.name.canonicalName == "host" }.map(\.value)
        for host in hosts where !rules.allows(host: host) {
            throw APIError(.forbidden, field: "Host",
                           "this server answers to \(rules.allowedDescription), not to the Host \(host.prefix(128)) "
                           + "(a defence against DNS rebinding); use one of those in the URL")
        }
        for origin in request.headers[values: .origin] {
            guard let host = hosts.first, HostRules.origin(origin, matchesHost: host) else {
                throw APIError(.forbidden, field: "Origin",
                               "requests from pages of another origin (\(origin.prefix(128))) are refused; "
                               + "use the page this server serves at /, or a client that sends no Origin")
            }
        }
    }
}
