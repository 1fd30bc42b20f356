import ConcordCore
import ConcordWeb
import Foundation
import HTTPTypes
import Testing

@Suite("Pages for acting: requests, directory, triage and disputes")
struct ActPageTests {
    @Test(
        "overdue requests stand out and escalate in one click; the triage queue accepts a public report and a dispute is decided"
    )
    func actPages() async throws {
        try await TestNode.run { node in
            let partner = NodeKey().nodeID
            // A 24/7 contact for the partner published by this node, and a request to the partner that is overdue.
            let entry = try await node.post(
                "/api/v1/directory",
                token: node.tokens.analyst,
                body:
                    #"{"name": "Partner 24/7 desk", "sector": "police", "contact_24_7": true, "node": "\#(partner)", "jurisdiction": "MY"}"#
            )
            #expect(entry.status == .created, "\(entry.text)")
            let ask = try await node.post(
                "/api/v1/requests",
                token: node.tokens.analyst,
                body:
                    #"{"action": "preserve_data", "to": "\#(partner)", "due": "2026-01-02T00:00:00Z", "identifiers": [{"kind": "url", "value": "https://scam-shop.example/pay"}], "legal_basis": {"kind": "budapest_preservation"}}"#
            )
            #expect(ask.status == .created)
            var browser = Browser(node)
            try await browser.signIn("ana")
            let queue = try await browser.get("/requests")
            #expect(queue.status == .ok)
            #expect(queue.text.contains("class=\"overdue\"") && queue.text.contains("1 overdue"))
            #expect(queue.text.contains("Partner 24/7 desk"), "the request form offers directory entries")
            let id = try #require(try ask.json()["id"]?.stringValue)
            let escalated = try await browser.send(
                .post,
                "/requests/\(id)/escalate",
                form: [("csrf", Browser.csrf(queue) ?? "")]
            )
            // The contact entry was published by this node, not by the partner nor a peer in its country: it is not
            // trusted with a RED escalation, and the page says what is missing.
            #expect(escalated.status == .unprocessableContent, "\(escalated.text.prefix(400))")
            #expect(escalated.text.contains("no 24/7 point of contact published by \(partner)"))
            let health = try await browser.get("/cooperation")
            #expect(health.status == .ok && health.text.contains("overdue"))

            // A citizen's report waits in triage, escaped; accepting it writes the report.
            let hostile = "<b onmouseover=alert(1)>pay now</b>"
            let sent = try await node.send(
                .post,
                "/public/report",
                token: nil,
                body: "typology=job&identifiers=0819998888&story=" + NodeClient.formEncode(hostile),
                contentType: "application/x-www-form-urlencoded"
            )
            #expect(sent.status == .ok)
            let triage = try await browser.get("/triage")
            #expect(triage.text.contains("&lt;b onmouseover=alert(1)&gt;") && !triage.text.contains("<b onmouseover"))
            let item = try #require(
                try await node.get("/api/v1/triage", token: node.tokens.analyst).json()["items"]?[0]?["id"]?.stringValue
            )
            let accepted = try await browser.send(
                .post,
                "/triage/\(item)/accept",
                form: [("csrf", Browser.csrf(triage) ?? ""), ("tlp", "green")]
            )
            #expect(accepted.text.contains("Report accepted as record"))
            #expect(try await node.check(kind: "phone", value: "0819998888")["flagged"] == .bool(true))

            // The owner disputes it; this node flagged it, so the dispute comes back here; retracting clears it.
            let disputed = try await node.send(
                .post,
                "/public/dispute",
                token: nil,
                body: "dispute_value=0819998888&statement=" + NodeClient.formEncode("It is my bakery's number."),
                contentType: "application/x-www-form-urlencoded"
            )
            #expect(disputed.status == .ok)
            let dispute = try #require(
                try await node.get("/api/v1/triage", token: node.tokens.analyst).json()["items"]?[0]?["id"]?.stringValue
            )
            let page = try await browser.get("/triage")
            let forwarded = try await browser.send(.post, "/triage/\(dispute)/accept", form: [("csrf", Browser.csrf(page) ?? "")])
            #expect(forwarded.text.contains("Dispute sent to the 1 node(s) that flagged it"))
            let disputes = try await node.get("/api/v1/disputes", token: node.tokens.analyst).json()
            let disputeID = try #require(disputes["disputes"]?[0]?["id"]?.stringValue)
            #expect(forwarded.text.contains("/disputes/\(disputeID)/decide"))
            let decided = try await browser.send(
                .post,
                "/disputes/\(disputeID)/decide",
                form: [
                    ("csrf", Browser.csrf(forwarded) ?? ""), ("outcome", "retracted"), ("reason", "Confirmed with the telco."),
                ]
            )
            #expect(decided.text.contains("Retracted: 1 record(s) withdrawn"))
            let answer = try await node.check(kind: "phone", value: "0819998888")
            #expect(answer["flagged"] == .bool(false) && answer["retracted"] == .bool(true))
        }
    }
}
