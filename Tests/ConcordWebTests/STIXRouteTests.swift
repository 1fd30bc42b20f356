import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("STIX bundles over the API")
struct STIXRouteTests {
    @Test("a bundle exported by one node imports into another: one result per object, again as duplicates")
    func exportImport() async throws {
        try await TestNode.run { origin in
            _ = try await origin.fileReport()
            let indicators = try await origin.post(
                "/api/v1/indicators",
                token: origin.tokens.analyst,
                body: """
                    {"kind": "phone", "value": "081 234 5678", "typology": "investment", "confidence": 80, "tlp": "green"}
                    {"kind": "domain", "value": "thai-gold-invest.example", "typology": "investment", "tlp": "clear"}
                    {"kind": "email", "value": "desk@thai-gold-invest.example", "typology": "investment"}

                    """,
                contentType: "application/x-ndjson"
            )
            let withdrawn = try #require(try indicators.ndjson()[2]["id"]?.stringValue)
            let retract = try await origin.post(
                "/api/v1/records/\(withdrawn)/retract",
                token: origin.tokens.analyst,
                body: #"{"reason": "a mistyped address"}"#
            )
            #expect(retract.status == .created || retract.status == .ok, "\(retract.text)")

            let reply = try await origin.get("/api/v1/stix/bundle", token: origin.tokens.analyst)
            #expect(reply.status == .ok)
            #expect(reply.contentType == "application/stix+json;version=2.1")
            let bundle = try reply.json()
            #expect(bundle["type"] == "bundle")
            let objects = try #require(bundle["objects"]?.arrayValue)
            let types = objects.compactMap { $0["type"]?.stringValue }
            #expect(types.filter { $0 == "indicator" }.count == 3)
            #expect(types.filter { $0 == "report" }.count == 1)
            #expect(types.filter { $0 == "sighting" }.count == 1, "the report names the flagged phone: \(types)")
            #expect(objects.filter { $0["revoked"] == .bool(true) }.count == 1)

            let onlyReports = try await origin.get("/api/v1/stix/bundle?kind=report", token: origin.tokens.analyst)
            #expect(try onlyReports.json()["objects"]?.arrayValue?.contains { $0["type"] == "indicator" } == false)
            let checker = try await origin.get("/api/v1/stix/bundle", token: origin.tokens.checker)
            #expect(checker.status == .forbidden)
            _ = expectProblem(
                try await origin.get("/api/v1/stix/bundle?kind=community", token: origin.tokens.analyst),
                .unprocessableContent,
                pointer: "/kind"
            )

            try await TestNode.run { receiver in
                let first = try await receiver.post(
                    "/api/v1/stix/bundle",
                    token: receiver.tokens.analyst,
                    body: reply.text,
                    contentType: "application/stix+json"
                )
                #expect(first.status == .ok, "\(first.text)")
                let lines = try first.ndjson()
                #expect(lines.count == objects.count + 1, "one line per object and the summary")
                #expect(lines.dropLast().map { $0["index"]?.integerValue } == (0..<objects.count).map { Int64($0) })
                #expect(
                    lines.dropLast().allSatisfy {
                        ["imported", "skipped", "rejected"].contains($0["outcome"]?.stringValue ?? "")
                    }
                )
                let summary = try #require(lines.last?["summary"])
                // Two live indicators, the report and its sighting; the revoked indicator is skipped.
                #expect(summary["imported"] == 4, "\(summary.canonicalString)")
                #expect(summary["rejected"] == 0, "\(first.text)")
                #expect(summary["records_created"] == 4)

                let again = try await receiver.post(
                    "/api/v1/stix/bundle",
                    token: receiver.tokens.analyst,
                    body: reply.text,
                    contentType: "application/stix+json"
                )
                let repeated = try #require(try again.ndjson().last?["summary"])
                #expect(
                    repeated["records_created"] == 0,
                    "importing the same bundle twice adds nothing: \(repeated.canonicalString)"
                )
                #expect(repeated["records_duplicate"] == 4)

                let check = try await receiver.check(kind: "phone", value: "+66812345678")
                #expect(check["flagged"]?.boolValue == true, "\(check.canonicalString)")

                // The producer revokes the phone indicator: what this node imported from it is withdrawn.
                let phone = try #require(
                    objects.first { $0["type"] == "indicator" && $0["pattern"]?.stringValue?.contains("phone") == true }
                )
                let revoked: JSONValue = ["type": "bundle", "objects": [phone.adding("revoked", true)]]
                let withdrawal = try await receiver.post(
                    "/api/v1/stix/bundle",
                    token: receiver.tokens.analyst,
                    body: revoked.canonicalString,
                    contentType: "application/stix+json"
                )
                let withdrawn = try withdrawal.ndjson()
                #expect(withdrawn.first?["outcome"] == "withdrawn", "\(withdrawal.text)")
                #expect(withdrawn.last?["summary"]?["records_withdrawn"] == 1)
                let again2 = try await receiver.post(
                    "/api/v1/stix/bundle",
                    token: receiver.tokens.analyst,
                    body: revoked.canonicalString,
                    contentType: "application/stix+json"
                )
                #expect(try again2.ndjson().first?["outcome"] == "skipped", "nothing left to withdraw")

                _ = expectProblem(
                    try await receiver.post(
                        "/api/v1/stix/bundle",
                        token: receiver.tokens.analyst,
                        body: #"{"type": "bundle", "objects": [{"type": "indicator"}"#,
                        contentType: "application/stix+json"
                    ),
                    .unprocessableContent,
                    pointer: ""
                )
            }
        }
    }
}
