import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Bulk import of indicators")
struct IndicatorImportTests {
    /// Posts `lines` joined by newlines as an NDJSON import by an analyst.
    static func importLines(_ lines: [String], into node: NodeClient, trailingNewline: Bool = true) async throws -> Reply {
        let body = lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")
        return try await node.post(
            "/api/v1/indicators",
            token: node.tokens.analyst,
            body: body,
            contentType: "application/x-ndjson"
        )
    }

    /// True when `text` looks like a record id.
    static func isRecordID(_ text: String?) -> Bool {
        guard let text else { return false }
        return text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    @Test("each line gets its own result in order, bad lines do not stop good ones, and a summary ends the answer")
    func mixedImport() async throws {
        try await TestNode.run { node in
            let reply = try await Self.importLines(
                [
                    #"{"kind": "phone", "value": "081 234 5678", "typology": "investment", "confidence": 80}"#,
                    #"{"kind": "domain", "value": "Fake-KrungThai-Login.example", "typology": "phishing", "confidence": 95}"#,
                    #"{"kind": "phone", "value": "081 "#,
                    #"{"kind": "phone", "value": "081 234", "typology": "romance"}"#,
                    #"{"kind": "bank_account", "value": "GB82 WEST 1234 5698 7654 32", "typology": "romance"}"#,
                ],
                into: node,
                trailingNewline: false
            )
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.contentType == "application/x-ndjson")
            let lines = try reply.ndjson()
            #expect(lines.count == 6, "\(reply.text)")
            guard lines.count == 6 else { return }

            #expect(lines.prefix(5).map { $0["line"]?.integerValue } == [1, 2, 3, 4, 5])
            for n in [0, 1, 4] {
                #expect(lines[n]["status"]?.stringValue == "created", "\(lines[n].canonicalString)")
                #expect(Self.isRecordID(lines[n]["id"]?.stringValue), "\(lines[n].canonicalString)")
                #expect(lines[n]["problem"] == nil)
            }
            #expect(Set([lines[0], lines[1], lines[4]].compactMap { $0["id"]?.stringValue }).count == 3)

            #expect(lines[2]["id"] == nil)
            let unreadable = try #require(lines[2]["problem"])
            expectProblemShape(unreadable, status: 400, type: "malformed-body")
            #expect(unreadable["detail"]?.stringValue?.contains("line 3") == true, "\(unreadable.canonicalString)")

            #expect(lines[3]["id"] == nil)
            let invalid = try #require(lines[3]["problem"])
            expectProblemShape(invalid, status: 422, type: "invalid-input", pointer: "/value")

            let summary = try parseJSON(#"{"summary": {"lines": 5, "created": 3, "duplicates": 0, "rejected": 2}}"#)
            #expect(lines[5] == summary)

            // What was imported is checkable at once.
            let phone = try await node.check(kind: "phone", value: "+66 81 234 5678")
            #expect(phone["flagged"]?.boolValue == true)
            #expect(phone["indicators"]?.integerValue == 1)
            #expect(phone["reports"]?.integerValue == 0)
            #expect(phone["highest_confidence"]?.integerValue == 80)
            #expect(phone["typologies"]?.stringArray == ["investment"])
            #expect(phone["jurisdictions"]?.stringArray == ["TH"])

            let domain = try await node.check(kind: "domain", value: "fake-krungthai-login.example")
            #expect(domain["flagged"]?.boolValue == true)
            #expect(domain["highest_confidence"]?.integerValue == 95)
            #expect(domain["typologies"]?.stringArray == ["phishing"])

            let account = try await node.check(kind: "bank_account", value: "GB82WEST12345698765432")
            #expect(account["flagged"]?.boolValue == true)

            // Each created line is a signed indicator record of this node.
            let id = try #require(lines[0]["id"]?.stringValue)
            let record = try await node.get("/api/v1/records/\(id)", token: node.tokens.analyst)
            #expect(record.status == .ok, "\(record.text)")
            let content = try #require(try record.json()["content"])
            #expect(content["kind"]?.stringValue == "indicator")
            #expect(content["origin"]?.stringValue == node.nodeID)
            let identifier = try parseJSON(#"{"kind": "phone", "value": "+66812345678"}"#)
            #expect(content["body"]?["identifier"] == identifier)
            #expect(content["body"]?["confidence"]?.integerValue == 80)
        }
    }

    @Test("a line repeated in one import is stored once and reported as a duplicate of the same record")
    func duplicateLine() async throws {
        try await TestNode.run { node in
            let line = #"{"kind": "phone", "value": "081 234 5678", "typology": "job", "confidence": 60}"#
            let other = #"{"kind": "handle", "value": "@quick_jobs_th", "platform": "telegram", "typology": "job"}"#
            let reply = try await Self.importLines([line, other, line], into: node)
            #expect(reply.status == .ok, "\(reply.text)")
            let lines = try reply.ndjson()
            #expect(lines.count == 4, "\(reply.text)")
            guard lines.count == 4 else { return }
            #expect(lines[0]["status"]?.stringValue == "created")
            #expect(lines[1]["status"]?.stringValue == "created", "\(lines[1].canonicalString)")
            #expect(lines[2]["status"]?.stringValue == "duplicate")
            #expect(lines[2]["line"]?.integerValue == 3)
            #expect(lines[2]["id"] == lines[0]["id"])
            let summary = try parseJSON(#"{"summary": {"lines": 3, "created": 2, "duplicates": 1, "rejected": 0}}"#)
            #expect(lines[3] == summary)

            // The duplicate did not count twice.
            let phone = try await node.check(kind: "phone", value: Fixtures.phone)
            #expect(phone["indicators"]?.integerValue == 1)
        }
    }

    @Test("importing the same feed again answers duplicates of the records already held and counts nothing twice")
    func reimport() async throws {
        try await TestNode.run { node in
            let feed = [
                #"{"kind": "phone", "value": "081 234 5678", "typology": "job", "confidence": 60}"#,
                #"{"kind": "domain", "value": "quick-jobs-th.example", "typology": "job"}"#,
            ]
            let first = try await Self.importLines(feed, into: node).ndjson()
            #expect(first.count == 3)
            let again = try await Self.importLines(feed, into: node).ndjson()
            #expect(again.count == 3)
            guard first.count == 3, again.count == 3 else { return }
            #expect(again[0]["status"]?.stringValue == "duplicate", "\(again[0].canonicalString)")
            #expect(again[1]["status"]?.stringValue == "duplicate", "\(again[1].canonicalString)")
            #expect(again[0]["id"] == first[0]["id"])
            #expect(again[1]["id"] == first[1]["id"])
            let summary = try parseJSON(#"{"summary": {"lines": 2, "created": 0, "duplicates": 2, "rejected": 0}}"#)
            #expect(again[2] == summary)

            let phone = try await node.check(kind: "phone", value: Fixtures.phone)
            #expect(phone["indicators"]?.integerValue == 1)
            let domain = try await node.check(kind: "domain", value: "quick-jobs-th.example")
            #expect(domain["indicators"]?.integerValue == 1)
        }
    }

    @Test("blank lines are skipped but keep the numbering, and CRLF line ends are read")
    func blankLinesAndCRLF() async throws {
        try await TestNode.run { node in
            let body =
                #"{"kind": "phone", "value": "0812345678", "typology": "loan"}"# + "\r\n\r\n   \r\n"
                + #"{"kind": "ip", "value": "203.0.113.7", "typology": "phishing"}"# + "\r\n"
            let reply = try await node.post(
                "/api/v1/indicators",
                token: node.tokens.analyst,
                body: body,
                contentType: "application/x-ndjson"
            )
            #expect(reply.status == .ok, "\(reply.text)")
            let lines = try reply.ndjson()
            #expect(lines.count == 3, "\(reply.text)")
            guard lines.count == 3 else { return }
            #expect(lines[0]["line"]?.integerValue == 1)
            #expect(lines[0]["status"]?.stringValue == "created", "\(lines[0].canonicalString)")
            #expect(lines[1]["line"]?.integerValue == 4)
            #expect(lines[1]["status"]?.stringValue == "created", "\(lines[1].canonicalString)")
            #expect(lines[2]["summary"]?["lines"]?.integerValue == 2)
            #expect(lines[2]["summary"]?["created"]?.integerValue == 2)
        }
    }

    @Test("a large import, spanning several write batches and body chunks, answers every line in order")
    func largeImport() async throws {
        try await TestNode.run { node in
            let count = 2_500
            var lines: [String] = []
            lines.reserveCapacity(count)
            for n in 1...count {
                let digits = String(n)
                let number = "081" + String(repeating: "0", count: 7 - digits.count) + digits
                lines.append(#"{"kind": "phone", "value": "\#(number)", "typology": "loan", "confidence": 70}"#)
            }
            let reply = try await Self.importLines(lines, into: node)
            #expect(reply.status == .ok)
            let answers = try reply.ndjson()
            #expect(answers.count == count + 1)
            guard answers.count == count + 1 else { return }
            let numbered = answers.prefix(count).map { $0["line"]?.integerValue ?? -1 }
            #expect(numbered == (1...Int64(count)).map { $0 })
            #expect(answers.prefix(count).allSatisfy { $0["status"]?.stringValue == "created" })
            #expect(answers[count]["summary"]?["created"]?.integerValue == Int64(count))

            let last = try await node.check(kind: "phone", value: "081 000 2500")
            #expect(last["flagged"]?.boolValue == true)
            #expect(last["highest_confidence"]?.integerValue == 70)
        }
    }

    @Test("an import stops at the node's line limit and the summary says where")
    func importLineLimit() async throws {
        var limits = APILimits()
        limits.maxStreamLines = 3
        try await TestNode.run(limits: limits) { node in
            let lines = (1...5).map { n in
                #"{"kind": "phone", "value": "081000000\#(n)", "typology": "loan"}"#
            }
            let reply = try await Self.importLines(lines, into: node)
            #expect(reply.status == .ok, "\(reply.text)")
            let answers = try reply.ndjson()
            #expect(answers.count == 4, "\(reply.text)")
            guard answers.count == 4 else { return }
            #expect(answers.prefix(3).map { $0["line"]?.integerValue } == [1, 2, 3])
            #expect(answers.prefix(3).allSatisfy { $0["status"]?.stringValue == "created" })
            let summary = try parseJSON(
                #"{"summary": {"lines": 3, "created": 3, "duplicates": 0, "rejected": 0, "truncated_after_line": 3}}"#
            )
            #expect(answers[3] == summary)

            // Lines past the limit were not imported.
            let fourth = try await node.check(kind: "phone", value: "0810000004")
            #expect(fourth["flagged"]?.boolValue == false)
        }
    }

    @Test("a last line without a newline still counts toward the import's line limit")
    func importLineLimitUnterminatedLast() async throws {
        var limits = APILimits()
        limits.maxStreamLines = 3
        try await TestNode.run(limits: limits) { node in
            let lines = (1...4).map { n in
                #"{"kind": "phone", "value": "081000000\#(n)", "typology": "loan"}"#
            }
            let reply = try await Self.importLines(lines, into: node, trailingNewline: false)
            #expect(reply.status == .ok, "\(reply.text)")
            let answers = try reply.ndjson()
            #expect(answers.last?["summary"]?["created"]?.integerValue == 3, "\(reply.text)")
            #expect(answers.last?["summary"]?["truncated_after_line"]?.integerValue == 3, "\(reply.text)")
            let fourth = try await node.check(kind: "phone", value: "0810000004")
            #expect(fourth["flagged"]?.boolValue == false)
        }
    }

    @Test("an import must be NDJSON and needs an analyst token")
    func importRefusals() async throws {
        try await TestNode.run { node in
            let line = #"{"kind": "phone", "value": "0812345678", "typology": "loan"}"#
            let asJSON = try await node.post("/api/v1/indicators", token: node.tokens.analyst, body: line)
            expectProblem(asJSON, .unsupportedMediaType, type: "unsupported-media-type")

            let byChecker = try await node.post(
                "/api/v1/indicators",
                token: node.tokens.checker,
                body: line,
                contentType: "application/x-ndjson"
            )
            expectProblem(byChecker, .forbidden, type: "forbidden")

            let anonymous = try await node.post(
                "/api/v1/indicators",
                token: nil,
                body: line,
                contentType: "application/x-ndjson"
            )
            expectProblem(anonymous, .unauthorized, type: "unauthenticated")

            // Nothing was imported by the refused requests.
            let phone = try await node.check(kind: "phone", value: "0812345678")
            #expect(phone["flagged"]?.boolValue == false)
        }
    }
}
