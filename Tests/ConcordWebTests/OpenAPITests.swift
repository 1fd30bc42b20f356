import ConcordCore
import Foundation
import HTTPTypes
import Testing

/// The OpenAPI document served at /api/v1/openapi.json must describe the routes the node really has.
@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("every documented operation is served, answers with a documented status, and needs the documented role")
    func documentMatchesRoutes() async throws {
        try await TestNode.run { node in
            let reply = try await node.get("/api/v1/openapi.json", token: node.tokens.checker)
            #expect(reply.status == .ok)
            let document = try reply.json()
            #expect(document["openapi"]?.stringValue?.hasPrefix("3.1") == true)
            let paths = try #require(document["paths"]?.objectValue)
            var operations = 0
            for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
                for (method, operation) in (item.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                    guard let httpMethod = HTTPRequest.Method(method.uppercased()), operation["responses"] != nil else {
                        continue
                    }
                    operations += 1
                    let uri = path.replacingOccurrences(of: "{id}", with: String(repeating: "ab", count: 32))
                    // With the strongest token: the route exists, whatever it says of the empty request.
                    let answer = try await node.send(
                        httpMethod,
                        uri,
                        token: node.tokens.admin,
                        body: httpMethod == .post ? "{}" : nil
                    )
                    #expect(answer.status != .notFound || path.contains("{id}"), "\(method) \(path) is documented but not served")
                    #expect(answer.status != .methodNotAllowed, "\(method) \(path) is documented but not served")
                    let documented = Set((operation["responses"]?.objectValue ?? [:]).keys)
                    #expect(
                        documented.contains(String(answer.status.code)) || documented.contains("default"),
                        "\(method) \(path) answered \(answer.status.code), not among \(documented.sorted())"
                    )
                    // Without a token, everything but the probes is refused.
                    if !["/healthz", "/readyz"].contains(path) {
                        let anonymous = try await node.send(httpMethod, uri, token: nil, body: httpMethod == .post ? "{}" : nil)
                        #expect(
                            anonymous.status == .unauthorized,
                            "\(method) \(path) answered \(anonymous.status.code) without a token"
                        )
                    }
                }
            }
            #expect(operations == 61)
        }
    }
}
