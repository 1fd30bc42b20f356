import ConcordCore
import ConcordStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// An RFC 9457 problem: the body of every API error.
struct Problem: Error, Sendable {
    /// The stable kind of problem; `type` in the body is `urn:concord:problem:<slug>`.
    let slug: String
    let title: String
    let status: HTTPResponse.Status
    let detail: String
    var issues: [FieldIssue] = []
    var extra: [String: JSONValue] = [:]

    static func invalid(_ error: InputError) -> Problem {
        Problem(
            slug: "invalid-input",
            title: "The input is not valid",
            status: .unprocessableContent,
            detail: error.summary,
            issues: error.issues
        )
    }

    static func invalid(pointer: String, _ detail: String) -> Problem {
        invalid(InputError(pointer: pointer, detail: detail))
    }

    static func malformed(_ detail: String) -> Problem {
        Problem(slug: "malformed-body", title: "The body cannot be read", status: .badRequest, detail: detail)
    }

    static func notFound(_ detail: String) -> Problem {
        Problem(slug: "not-found", title: "Not found", status: .notFound, detail: detail)
    }

    static func tooLarge(_ detail: String) -> Problem {
        Problem(slug: "too-large", title: "The request is too large", status: .contentTooLarge, detail: detail)
    }

    static let unauthenticated = Problem(
        slug: "unauthenticated",
        title: "A valid API token is required",
        status: .unauthorized,
        detail: "send `Authorization: Bearer <token>`; tokens are made with `concord token create`"
    )

    static func forbidden(_ detail: String) -> Problem {
        Problem(slug: "forbidden", title: "Not allowed", status: .forbidden, detail: detail)
    }

    static func notReady(_ detail: String) -> Problem {
        Problem(slug: "not-ready", title: "Not ready yet", status: .serviceUnavailable, detail: detail)
    }

    static func tooManyRequests(_ detail: String, retryAfter seconds: Int) -> Problem {
        Problem(
            slug: "too-many-requests",
            title: "Too many requests",
            status: .tooManyRequests,
            detail: detail,
            extra: ["retry_after": .integer(Int64(seconds))]
        )
    }

    static func conflict(_ detail: String) -> Problem {
        Problem(slug: "conflict", title: "Conflict", status: .conflict, detail: detail)
    }

    static func unsupportedMediaType(_ detail: String) -> Problem {
        Problem(slug: "unsupported-media-type", title: "Unsupported content type", status: .unsupportedMediaType, detail: detail)
    }

    /// The problem+json body.
    func json(instance: String, requestID: String?) -> JSONValue {
        var body: [String: JSONValue] = [
            "type": .string("urn:concord:problem:\(slug)"),
            "title": .string(title),
            "status": .integer(Int64(status.code)),
            "detail": .string(detail),
            "instance": .string(instance),
        ]
        if let first = issues.first {
            body["pointer"] = .string(first.pointer)
            body["errors"] = .array(
                issues.map { .object(["pointer": .string($0.pointer), "detail": .string($0.detail)]) }
            )
        }
        if let requestID { body["request_id"] = .string(requestID) }
        for (k, v) in extra { body[k] = v }
        return .object(body)
    }

    /// The body as it appears inside a per-line or per-item result, without `instance`.
    var inlineJSON: JSONValue {
        var body = json(instance: "", requestID: nil)
        if case .object(var members) = body {
            members["instance"] = nil
            body = .object(members)
        }
        return body
    }
}

/// Turns every error thrown below it into an RFC 9457 `application/problem+json` response.
/// Domain errors map to 4xx with their detail; anything unexpected is a 500 naming only the request id.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            let problem: Problem
            var requestID: String?
            switch error {
            case let p as Problem: problem = p
            case let e as InputError: problem = .invalid(e)
            case let e as HTTPError:
                problem = Problem(
                    slug: e.status == .notFound ? "not-found" : "http-\(e.status.code)",
                    title: e.status.reasonPhrase,
                    status: e.status,
                    detail: e.body ?? Self.defaultDetail(e.status, request)
                )
            case let e as any HTTPResponseError where e.status.code < 500:
                problem = Problem(
                    slug: "http-\(e.status.code)",
                    title: e.status.reasonPhrase,
                    status: e.status,
                    detail: Self.defaultDetail(e.status, request)
                )
            default:
                requestID = context.id
                context.logger.error(
                    "request failed",
                    metadata: ["error.type": "\(type(of: error))", "error": "\(String(reflecting: error))"]
                )
                problem = Problem(
                    slug: "internal",
                    title: "Internal error",
                    status: .internalServerError,
                    detail: "the node could not complete the request; quote request id \(context.id) to its operator"
                )
            }
            return Response.problem(problem, instance: request.uri.path, requestID: requestID)
        }
    }

    private static func defaultDetail(_ status: HTTPResponse.Status, _ request: Request) -> String {
        switch status {
        case .notFound: "no route for \(request.method) \(request.uri.path)"
        case .methodNotAllowed: "\(request.method) is not allowed on \(request.uri.path)"
        case .contentTooLarge: "the body is larger than this endpoint accepts"
        default: status.reasonPhrase
        }
    }
}

extension Response {
    /// A JSON response with `value` encoded compactly with sorted keys.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.canonicalData)))
    }

    /// A problem+json response.
    static func problem(_ problem: Problem, instance: String, requestID: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if problem.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"concord\"" }
        return Response(
            status: problem.status,
            headers: headers,
            body: ResponseBody(
                byteBuffer: ByteBuffer(bytes: problem.json(instance: instance, requestID: requestID).canonicalData)
            )
        )
    }
}
