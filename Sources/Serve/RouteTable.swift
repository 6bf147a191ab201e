import Hummingbird

/// The API's paths and the methods each answers, for `405 Method Not Allowed` with its `Allow` header.
///
/// A test checks that it lists the same paths and methods as the OpenAPI description; `APIRoutes` registers them.
enum RouteTable {
    /// Each path pattern (`{name}` matches one path segment; `{k}.png` one ending in `.png`) and its methods.
    static let entries: [(path: String, methods: [HTTPRequest.Method])] = [
        ("/", [.get]),
        ("/openapi.json", [.get]),
        ("/healthz", [.get]),
        ("/v1/models", [.get]),
        ("/v1/generate", [.post]),
        ("/v1/jobs/{id}", [.get, .delete]),
        ("/v1/jobs/{id}/events", [.get]),
        ("/v1/jobs/{id}/images/{k}.png", [.get]),
        ("/v1/jobs/{id}/grid.png", [.get]),
        ("/v1/jobs/{id}/samples.npz", [.get]),
    ]

    /// The methods of the route matching `path`, nil when no route matches.
    static func methods(forPath path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        return entries.first { entry in
            let pattern = entry.path.split(separator: "/")
            return pattern.count == segments.count && zip(pattern, segments).allSatisfy(matches)
        }?.methods
    }

    /// The error for a request no route answers: 405 with `Allow` when the path is known, else 404.
    static func unanswered(_ request: Request) -> APIError {
        let path = request.uri.path
        guard let methods = methods(forPath: path) else {
            return APIError(.notFound, field: "path", "no such path: \(path.prefix(128)); GET /openapi.json lists the API")
        }
        let allowed = methods.map(\.rawValue).joined(separator: ", ")
        return APIError(.methodNotAllowed, field: "method",
                        "\(path.prefix(128)) answers \(allowed), not \(request.method.rawValue.prefix(16))",
                        headers: [.allow: allowed])
    }

    private static func matches(_ pattern: Substring, _ segment: Substring) -> Bool {
        if pattern.hasPrefix("{") && pattern.hasSuffix("}") { return !segment.isEmpty }
        if pattern.hasPrefix("{"), let close = pattern.firstIndex(of: "}") {
            let suffix = pattern[pattern.index(after: close)...]
            return segment.count > suffix.count && segment.hasSuffix(suffix)
        }
        return pattern == segment
    }
}
