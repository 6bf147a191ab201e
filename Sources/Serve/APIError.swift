import Foundation
import Hummingbird

/// An error answered to a client as JSON `{"error": MESSAGE, "field": FIELD}` with an HTTP status.
///
/// `field` names the request field at fault (`steps`, `classes[2]`, `body`, `Content-Type`) when there is one.
public struct APIError: Error, CustomStringConvertible, HTTPResponseError {
    /// The HTTP status (400, 404, 409, 413, 415, 429, 503).
    public let status: HTTPResponse.Status
    /// The field at fault, if any.
    public let field: String?
    /// What is wrong, in plain words.
    public let message: String
    /// Extra response headers (e.g. Retry-After).
    public let headers: HTTPFields

    /// An error with `status` about `field`.
    public init(_ status: HTTPResponse.Status, field: String? = nil, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.field = field
        self.message = message
        self.headers = headers
    }

    /// A 400 naming `field`.
    public static func badRequest(_ field: String?, _ message: String) -> APIError {
        APIError(.badRequest, field: field, message)
    }

    /// A 404 for a job id that is not known (never made, or forgotten).
    static func unknownJob(_ id: String) -> APIError {
        APIError(.notFound, field: "id", "no job \(id.prefix(64)) (unknown, or finished long enough ago to be forgotten)")
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }

    private struct Body: Encodable {
        let error: String
        let field: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(Body(error: message, field: field), status: status)
        for header in headers { response.headers.append(header) }
        return response
    }
}
