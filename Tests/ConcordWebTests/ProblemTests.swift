import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every error is an RFC 9457 problem with a stable type, the HTTP status, and the pointer of the field at fault.
@Suite("Problem responses")
struct ProblemTests {
    /// The standard report with `replacing` swapped for `with`, to break one field.
    static func report(replacing old: String, with new: String) -> String {
        let text = Fixtures.report.replacingOccurrences(of: old, with: new)
        if text == Fixtures.report { Issue.record("the report fixture does not contain \(old)") }
        return text
    }

    @Test("an unknown typology is a 422 pointing at /typology")
    func wrongTypology() async throws {
        try await TestNode.run { node in
            let body = Self.report(replacing: #""typology": "investment""#, with: #""typology": "lottery""#)
            let reply = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: body)
            let problem = expectProblem(reply, .unprocessableContent, type: "invalid-input", pointer: "/typology")
            #expect(problem["detail"]?.stringValue?.contains("investment") == true, "the detail lists the typologies")
        }
    }

    @Test("an unknown currency is a 422 pointing at /loss/currency")
    func badCurrency() async throws {
        try await TestNode.run { node in
            let body = Self.report(replacing: #""currency": "THB""#, with: #""currency": "XYZ""#)
            let reply = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: body)
            expectProblem(reply, .unprocessableContent, type: "invalid-input", pointer: "/loss/currency")
        }
    }

    @Test("a bad identifier is a 422 pointing at its value by position")
    func badIdentifierValue() async throws {
        try await TestNode.run { node in
            let body = Self.report(replacing: #""value": "123-4-56789-0""#, with: #""value": "12""#)
            let reply = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: body)
            expectProblem(reply, .unprocessableContent, type: "invalid-input", pointer: "/identifiers/1/value")

            // Nothing of the refused report was indexed.
            let phone = try await node.check(kind: "phone", value: Fixtures.phone)
            #expect(phone["flagged"]?.boolValue == false)
        }
    }

    @Test("an unknown field is refused rather than silently dropped")
    func unknownField() async throws {
        try await TestNode.run { node in
            let body = Self.report(replacing: #""victims": 1,"#, with: #""victims": 1, "colour": "red","#)
            let reply = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: body)
            expectProblem(reply, .unprocessableContent, type: "invalid-input", pointer: "/colour")

            let nested = Self.report(
                replacing: #"{"kind": "phone", "value": "081 234 5678"}"#,
                with: #"{"kind": "phone", "value": "081 234 5678", "note": "called at night"}"#
            )
            let nestedReply = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: nested)
            expectProblem(nestedReply, .unprocessableContent, type: "invalid-input", pointer: "/identifiers/0/note")
        }
    }

    @Test("several bad fields are all listed, in document order")
    func severalIssues() async throws {
        try await TestNode.run { node in
            let body = Self.report(replacing: #""typology": "investment""#, with: #""typology": "lottery""#)
                .replacingOccurrences(of: #""currency": "THB""#, with: #""currency": "XYZ""#)
            let reply = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: body)
            let problem = expectProblem(reply, .unprocessableContent, type: "invalid-input", pointer: "/typology")
            let pointers = problem["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue }
            #expect(pointers == ["/typology", "/loss/currency"])
        }
    }

    @Test("a body that is not JSON is a 400; an empty body too")
    func notJSON() async throws {
        try await TestNode.run { node in
            let reply = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: #"{"typology": investment"#)
            expectProblem(reply, .badRequest, type: "malformed-body")
            let empty = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: "")
            expectProblem(empty, .badRequest, type: "malformed-body")
        }
    }

    @Test("a JSON document that is not an object is a 422 at the root")
    func notAnObject() async throws {
        try await TestNode.run { node in
            let reply = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: "[]")
            expectProblem(reply, .unprocessableContent, type: "invalid-input", pointer: "")
        }
    }

    @Test("a body sent as another content type is a 415")
    func wrongContentType() async throws {
        try await TestNode.run { node in
            let reply = try await node.post(
                "/api/v1/reports",
                token: node.tokens.analyst,
                body: Fixtures.report,
                contentType: "text/plain"
            )
            expectProblem(reply, .unsupportedMediaType, type: "unsupported-media-type")
            let form = try await node.post(
                "/api/v1/normalize",
                token: node.tokens.checker,
                body: "kind=phone&values=0812345678",
                contentType: "application/x-www-form-urlencoded"
            )
            expectProblem(form, .unsupportedMediaType, type: "unsupported-media-type")

            // JSON with a charset parameter is still JSON.
            let withCharset = try await node.post(
                "/api/v1/reports",
                token: node.tokens.analyst,
                body: Fixtures.report,
                contentType: "application/json; charset=utf-8"
            )
            #expect(withCharset.status == .created, "\(withCharset.text)")
        }
    }

    @Test("an unknown route is a 404 problem naming the path, with or without a token")
    func unknownRoute() async throws {
        try await TestNode.run { node in
            let withToken = try await node.get("/api/v1/scammers", token: node.tokens.checker)
            let problem = expectProblem(withToken, .notFound, type: "not-found")
            #expect(problem["instance"]?.stringValue == "/api/v1/scammers")
            #expect(problem["detail"]?.stringValue?.contains("/api/v1/scammers") == true, "\(withToken.text)")

            let anonymous = try await node.get("/no/such/page", token: nil)
            expectProblem(anonymous, .notFound, type: "not-found")
        }
    }
}
