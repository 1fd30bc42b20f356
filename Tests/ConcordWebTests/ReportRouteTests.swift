import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Reports, records and retractions")
struct ReportRouteTests {
    @Test("a report is stored under the SHA-256 of its canonical content, signed by the node, and read back")
    func createAndRead() async throws {
        try await TestNode.run { node in
            let reply = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: Fixtures.report)
            #expect(reply.status == .created, "\(reply.text)")
            #expect(reply.contentType == "application/json")
            let record = try reply.json()
            let id = try #require(record["id"]?.stringValue)
            let content = try #require(record["content"])
            #expect(id.utf8.count == 64)
            #expect(ByteText.sha256Hex(content.canonicalData) == id)
            #expect(reply.headers[.location] == "/api/v1/records/\(id)")
            #expect(record["duplicate"]?.boolValue == false)
            #expect(record["sequence"]?.integerValue == 1)

            // A peer receiving the record accepts it: id, shape and signature hold, and the origin is this node.
            let signature = try #require(record["signature"]?.stringValue.flatMap(ByteText.fromBase64url))
            let verified = try Record.verified(id: id, canonical: content.canonicalData, signature: signature)
            #expect(verified.origin == node.nodeID)
            #expect(verified.kind == .report)
            #expect(verified.exercise == false)

            // The body holds the identifiers in canonical form with their default roles.
            let body = verified.body
            #expect(body["typology"]?.stringValue == "investment")
            #expect(body["jurisdiction"]?.stringValue == "TH")
            #expect(body["victims"]?.integerValue == 1)
            let expectedLoss = try parseJSON(#"{"amount": "15000.00", "currency": "THB"}"#)
            #expect(body["loss"] == expectedLoss)
            let expectedIdentifiers = try parseJSON(
                """
                [
                  {"kind": "phone", "value": "\(Fixtures.phone)", "role": "contact"},
                  {"kind": "bank_account", "value": "\(Fixtures.bankAccount)", "role": "payment"},
                  {"kind": "url", "value": "\(Fixtures.url)", "role": "website"}
                ]
                """
            )
            #expect(body["identifiers"] == expectedIdentifiers)

            let read = try await node.get("/api/v1/records/\(id)", token: node.tokens.analyst)
            #expect(read.status == .ok, "\(read.text)")
            let stored = try read.json()
            #expect(stored["id"]?.stringValue == id)
            #expect(stored["content"] == content)
            #expect(stored["signature"] == record["signature"])
            #expect(stored["sequence"]?.integerValue == 1)
            #expect(stored["retracted_by"] == JSONValue.null)
            #expect(stored["received"]?.stringValue?.isEmpty == false)

            // Ids are accepted in upper case too, as people copy them.
            let upper = try await node.get("/api/v1/records/\(id.uppercased())", token: node.tokens.analyst)
            #expect(upper.status == .ok)
            #expect(try upper.json()["id"]?.stringValue == id)
        }
    }

    @Test("a report without identifiers or narrative is refused, naming /identifiers")
    func emptyReport() async throws {
        try await TestNode.run { node in
            let reply = try await node.post(
                "/api/v1/reports",
                token: node.tokens.analyst,
                body: #"{"typology": "romance", "identifiers": []}"#
            )
            expectProblem(reply, .unprocessableContent, type: "invalid-input", pointer: "/identifiers")
        }
    }

    @Test("an unknown or malformed record id gives a problem, not an empty answer")
    func missingRecord() async throws {
        try await TestNode.run { node in
            let unknown = String(repeating: "0", count: 64)
            let missing = try await node.get("/api/v1/records/\(unknown)", token: node.tokens.analyst)
            expectProblem(missing, .notFound, type: "not-found")
            let malformed = try await node.get("/api/v1/records/not-a-record-id", token: node.tokens.analyst)
            expectProblem(malformed, .unprocessableContent, type: "invalid-input", pointer: "/id")
        }
    }

    @Test("retracting a report clears the flag on its identifiers, and the record names its retraction")
    func retraction() async throws {
        try await TestNode.run { node in
            let id = try await node.fileReport()
            let reason = "the number belongs to the victim's own bank; filed in error"
            let reply = try await node.post(
                "/api/v1/records/\(id)/retract",
                token: node.tokens.analyst,
                body: #"{"reason": "\#(reason)"}"#
            )
            #expect(reply.status == .created, "\(reply.text)")
            let retraction = try reply.json()
            let retractionID = try #require(retraction["id"]?.stringValue)
            #expect(retractionID != id)
            #expect(reply.headers[.location] == "/api/v1/records/\(retractionID)")
            #expect(retraction["content"]?["kind"]?.stringValue == "retraction")
            #expect(retraction["content"]?["origin"]?.stringValue == node.nodeID)
            #expect(retraction["content"]?["body"]?["record"]?.stringValue == id)
            #expect(retraction["content"]?["body"]?["reason"]?.stringValue == reason)

            let phone = try await node.check(kind: "phone", value: "081 234 5678")
            #expect(phone["canonical"]?.stringValue == Fixtures.phone)
            #expect(phone["flagged"]?.boolValue == false)
            #expect(phone["retracted"]?.boolValue == true)
            #expect(phone["reports"]?.integerValue == 0)

            // The URL's derived domain is withdrawn with the report.
            let domain = try await node.check(kind: "domain", value: Fixtures.domain)
            #expect(domain["flagged"]?.boolValue == false)
            #expect(domain["retracted"]?.boolValue == true)

            let read = try await node.get("/api/v1/records/\(id)", token: node.tokens.analyst)
            #expect(try read.json()["retracted_by"]?.stringValue == retractionID)
        }
    }

    @Test("retracting twice is a 409 conflict naming the first retraction; the flag stays cleared")
    func retractTwice() async throws {
        try await TestNode.run { node in
            let id = try await node.fileReport()
            let first = try await node.post(
                "/api/v1/records/\(id)/retract",
                token: node.tokens.analyst,
                body: #"{"reason": "duplicate case"}"#
            )
            #expect(first.status == .created, "\(first.text)")
            let firstID = try first.json()["id"]?.stringValue

            let second = try await node.post(
                "/api/v1/records/\(id)/retract",
                token: node.tokens.analyst,
                body: #"{"reason": "again"}"#
            )
            let problem = expectProblem(second, .conflict, type: "already-retracted")
            #expect(problem["retracted_by"]?.stringValue == firstID)

            let phone = try await node.check(kind: "phone", value: Fixtures.phone)
            #expect(phone["flagged"]?.boolValue == false)
            #expect(phone["retracted"]?.boolValue == true)
        }
    }

    @Test("a retraction needs a reason: missing, blank, null or non-string reasons are 422 at /reason")
    func retractionNeedsReason() async throws {
        try await TestNode.run { node in
            let id = try await node.fileReport()
            for body in [#"{}"#, #"{"reason": "   "}"#, #"{"reason": null}"#, #"{"reason": 42}"#] {
                let reply = try await node.post("/api/v1/records/\(id)/retract", token: node.tokens.analyst, body: body)
                expectProblem(reply, .unprocessableContent, type: "invalid-input", pointer: "/reason")
            }
            // Nothing was withdrawn by the refused attempts.
            let phone = try await node.check(kind: "phone", value: Fixtures.phone)
            #expect(phone["flagged"]?.boolValue == true)
            #expect(phone["reports"]?.integerValue == 1)
        }
    }

    @Test("a NUL character in a narrative or a retraction's reason is 422 naming the field: peers would refuse the record")
    func nulInFreeText() async throws {
        try await TestNode.run { node in
            let report =
                #"{"typology":"investment","narrative":"call\u0000now","identifiers":[{"kind":"phone","value":"+66812345678"}]}"#
            let refused = try await node.post("/api/v1/reports", token: node.tokens.analyst, body: report)
            expectProblem(refused, .unprocessableContent, type: "invalid-input", pointer: "/narrative")
            let id = try await node.fileReport()
            let reason = #"{"reason":"filed in error\u0000"}"#
            let retraction = try await node.post("/api/v1/records/\(id)/retract", token: node.tokens.analyst, body: reason)
            expectProblem(retraction, .unprocessableContent, type: "invalid-input", pointer: "/reason")
            let phone = try await node.check(kind: "phone", value: Fixtures.phone)
            #expect(phone["flagged"]?.boolValue == true)
        }
    }

    @Test("a retraction cannot itself be retracted, an unknown or malformed id cannot be retracted, and a checker cannot retract")
    func retractionRefusals() async throws {
        try await TestNode.run { node in
            let id = try await node.fileReport()
            let byChecker = try await node.post(
                "/api/v1/records/\(id)/retract",
                token: node.tokens.checker,
                body: #"{"reason": "not mine to say"}"#
            )
            expectProblem(byChecker, .forbidden, type: "forbidden")

            let unknown = String(repeating: "a", count: 64)
            let missing = try await node.post(
                "/api/v1/records/\(unknown)/retract",
                token: node.tokens.analyst,
                body: #"{"reason": "no such record"}"#
            )
            expectProblem(missing, .notFound, type: "not-found")
            let malformed = try await node.post(
                "/api/v1/records/case-1234/retract",
                token: node.tokens.analyst,
                body: #"{"reason": "wrong id"}"#
            )
            expectProblem(malformed, .unprocessableContent, type: "invalid-input", pointer: "/id")

            let retraction = try await node.post(
                "/api/v1/records/\(id)/retract",
                token: node.tokens.analyst,
                body: #"{"reason": "filed in error"}"#
            )
            let retractionID = try #require(try retraction.json()["id"]?.stringValue)
            let again = try await node.post(
                "/api/v1/records/\(retractionID)/retract",
                token: node.tokens.analyst,
                body: #"{"reason": "undo"}"#
            )
            expectProblem(again, .unprocessableContent, type: "invalid-input", pointer: "")
        }
    }

    @Test("the log lists records in order, filters by kind, and pages with a cursor")
    func listing() async throws {
        try await TestNode.run { node in
            let id = try await node.fileReport()
            let retraction = try await node.post(
                "/api/v1/records/\(id)/retract",
                token: node.tokens.analyst,
                body: #"{"reason": "filed in error"}"#
            )
            let retractionID = try #require(try retraction.json()["id"]?.stringValue)

            let all = try await node.get("/api/v1/records", token: node.tokens.analyst)
            #expect(all.status == .ok, "\(all.text)")
            let page = try all.json()
            let records = page["records"]?.arrayValue ?? []
            #expect(records.map { $0["id"]?.stringValue } == [id, retractionID])
            #expect(records.map { $0["sequence"]?.integerValue } == [1, 2])
            #expect(records.first?["retracted_by"]?.stringValue == retractionID)
            #expect(page["next_cursor"]?.stringValue == "2")
            #expect(page["has_more"]?.boolValue == false)

            let first = try await node.get("/api/v1/records?limit=1", token: node.tokens.analyst).json()
            #expect(first["records"]?.arrayValue?.count == 1)
            #expect(first["has_more"]?.boolValue == true)
            #expect(first["next_cursor"]?.stringValue == "1")

            let rest = try await node.get("/api/v1/records?after=1", token: node.tokens.analyst).json()
            #expect(rest["records"]?.arrayValue?.map { $0["id"]?.stringValue } == [retractionID])

            let retractions = try await node.get("/api/v1/records?kind=retraction", token: node.tokens.analyst).json()
            #expect(retractions["records"]?.arrayValue?.map { $0["id"]?.stringValue } == [retractionID])

            let badLimit = try await node.get("/api/v1/records?limit=0", token: node.tokens.analyst)
            expectProblem(badLimit, .unprocessableContent, type: "invalid-input", pointer: "/limit")
            let badKind = try await node.get("/api/v1/records?kind=rumour", token: node.tokens.analyst)
            expectProblem(badKind, .unprocessableContent, type: "invalid-input", pointer: "/kind")
            let unknownParameter = try await node.get("/api/v1/records?since=2025-01-01", token: node.tokens.analyst)
            expectProblem(unknownParameter, .unprocessableContent, type: "invalid-input", pointer: "/since")
        }
    }
}
