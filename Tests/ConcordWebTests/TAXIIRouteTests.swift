import ConcordCore
import ConcordWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("TAXII 2.1 server")
struct TAXIIRouteTests {
    static let accept: HTTPFields = [.accept: "application/taxii+json;version=2.1"]

    static func basic(_ token: String) -> HTTPFields {
        var fields = accept
        fields[.authorization] = "Basic " + Data("anyone:\(token)".utf8).base64EncodedString()
        return fields
    }

    @Test("discovery, collections by scope, paging by next without loss or repeat, filters, errors as TAXII messages")
    func server() async throws {
        try await TestNode.run { node in
            let lines =
                (0..<30).map {
                    #"{"kind": "domain", "value": "fake-bank-\#($0).example", "typology": "phishing", "tlp": "green"}"#
                }
                + [#"{"kind": "domain", "value": "secret.example", "typology": "phishing", "tlp": "red"}"#]
            _ = try await node.post(
                "/api/v1/indicators",
                token: node.tokens.analyst,
                body: lines.joined(separator: "\n"),
                contentType: "application/x-ndjson"
            )
            let discovery = try await node.send(.get, "/taxii2/", token: nil, headers: Self.basic(node.tokens.analyst))
            #expect(discovery.status == .ok, "\(discovery.text)")
            #expect(discovery.contentType == "application/taxii+json;version=2.1")
            #expect(try discovery.json()["api_roots"] == ["/taxii2/concord/"])

            let all = try await node.send(
                .get,
                "/taxii2/concord/collections/",
                token: nil,
                headers: Self.basic(node.tokens.analyst)
            )
            let collections = try #require(try all.json()["collections"]?.arrayValue)
            #expect(collections.count == 3)
            let narrow = try await node.send(
                .get,
                "/taxii2/concord/collections/",
                token: nil,
                headers: Self.basic(node.tokens.greenChecker)
            )
            #expect(try narrow.json()["collections"]?.arrayValue?.count == 1)
            let green = try #require(collections.first?["id"]?.stringValue)
            let red = try #require(collections.last?["id"]?.stringValue)
            let refused = try await node.send(
                .get,
                "/taxii2/concord/collections/\(red)/objects/",
                token: nil,
                headers: Self.basic(node.tokens.greenChecker)
            )
            #expect(refused.status == .forbidden)
            #expect(refused.contentType == "application/taxii+json;version=2.1")
            #expect(try refused.json()["http_status"] == "403")
            #expect(try refused.json()["type"] == "urn:concord:problem:forbidden")

            // Pages of at most 7 objects: each indicator comes with its observable, the node's identity and the
            // marking, written once per page.
            var seen: [String] = []
            var next: String?
            var pages = 0
            repeat {
                let reply = try await node.send(
                    .get,
                    "/taxii2/concord/collections/\(green)/objects/?limit=7" + (next.map { "&next=\($0)" } ?? ""),
                    token: nil,
                    headers: Self.basic(node.tokens.analyst)
                )
                #expect(reply.status == .ok, "\(reply.text)")
                let envelope = try reply.json()
                let objects = envelope["objects"]?.arrayValue ?? []
                #expect(objects.count <= 7)
                seen += objects.filter { $0["type"] == "indicator" }.compactMap { $0["id"]?.stringValue }
                next = envelope["more"] == .bool(true) ? envelope["next"]?.stringValue : nil
                pages += 1
            } while next != nil && pages < 100
            #expect(seen.count == 30 && Set(seen).count == 30, "\(seen.count) indicators in \(pages) pages")

            let typed = try await node.send(
                .get,
                "/taxii2/concord/collections/\(green)/objects/?match[type]=domain-name&limit=100",
                token: nil,
                headers: Self.basic(node.tokens.analyst)
            )
            #expect(try typed.json()["objects"]?.arrayValue?.allSatisfy { $0["type"] == "domain-name" } == true)
            let one = try await node.send(
                .get,
                "/taxii2/concord/collections/\(green)/objects/\(seen[3])/",
                token: nil,
                headers: Self.basic(node.tokens.analyst)
            )
            #expect(try one.json()["objects"]?.arrayValue?.map { $0["id"]?.stringValue } == [seen[3]])

            let html = try await node.send(
                .get,
                "/taxii2/",
                token: node.tokens.analyst,
                headers: [.accept: "text/html"]
            )
            #expect(html.status == .notAcceptable)
            let anonymous = try await node.send(.get, "/taxii2/", token: nil, headers: Self.accept)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate]?.contains("Basic") == true)
        }
    }
}
