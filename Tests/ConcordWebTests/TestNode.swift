import ConcordCore
import ConcordStore
import ConcordWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Bearer tokens of each role, made for one test node before it starts.
struct TestTokens: Sendable {
    /// May only check and normalise; its answers draw on CLEAR, GREEN and AMBER records (reports are AMBER).
    let checker: String
    /// A checker with the default scope: CLEAR and GREEN records only.
    let greenChecker: String
    /// A checker allowed every record, RED included.
    let fullChecker: String
    /// May file reports, import indicators, read and retract records.
    let analyst: String
    /// May do everything, including `/metrics`.
    let admin: String
    /// An analyst token revoked before the node started (so the token cache never saw it live).
    let revoked: String
    /// The password of the page accounts `ana` (analyst), `chk` (checker) and `root` (admin).
    static let password = "a long test password"
}

/// One response of the node, kept as plain values for assertions.
struct Reply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: [UInt8]

    /// The body as text, for failure messages.
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The `Content-Type` header.
    var contentType: String? { headers[.contentType] }

    /// The body read as one JSON document.
    func json() throws -> JSONValue {
        try JSONValue.parse(body)
    }

    /// The body read as newline-delimited JSON, one value per non-empty line.
    func ndjson() throws -> [JSONValue] {
        var values: [JSONValue] = []
        for line in body.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            try values.append(JSONValue.parse(Array(line)))
        }
        return values
    }
}

/// A client talking to one running test node through Hummingbird's router test framework.
struct NodeClient: Sendable {
    let client: any TestClientProtocol
    let tokens: TestTokens
    /// The node id of the node under test.
    let nodeID: String

    /// Sends a request; `token` becomes `Authorization: Bearer <token>`, `contentType` is sent only with a body.
    func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        token: String?,
        body: String? = nil,
        contentType: String? = "application/json",
        headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil, let contentType { headers[.contentType] = contentType }
        let response = try await client.executeRequest(
            uri: uri,
            method: method,
            headers: headers,
            body: body.map { ByteBuffer(string: $0) }
        )
        return Reply(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
    }

    /// `GET uri`.
    func get(_ uri: String, token: String?) async throws -> Reply {
        try await send(.get, uri, token: token)
    }

    /// `POST uri` with `body`, sent as `contentType` (JSON unless told).
    func post(_ uri: String, token: String?, body: String, contentType: String? = "application/json") async throws -> Reply {
        try await send(.post, uri, token: token, body: body, contentType: contentType)
    }

    /// Files `report` (the standard investment-scam report unless told) as an analyst and returns the record id.
    func fileReport(_ report: String = Fixtures.report, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String
    {
        let reply = try await post("/api/v1/reports", token: tokens.analyst, body: report)
        #expect(reply.status == .created, "\(reply.text)", sourceLocation: sourceLocation)
        return try #require(try reply.json()["id"]?.stringValue, sourceLocation: sourceLocation)
    }

    /// Checks one identifier with `GET /api/v1/check` as a checker and returns the answer, expecting 200.
    func check(
        kind: String,
        value: String,
        extra: [(String, String)] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        let reply = try await get(Self.checkURI(kind: kind, value: value, extra: extra), token: tokens.checker)
        #expect(reply.status == .ok, "\(kind) \(value): \(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.contentType == "application/json", sourceLocation: sourceLocation)
        return try reply.json()
    }

    /// The `GET /api/v1/check` address for one identifier, form-encoded as a browser would send it.
    static func checkURI(kind: String, value: String, extra: [(String, String)] = []) -> String {
        let pairs = [("kind", kind), ("value", value)] + extra
        return "/api/v1/check?" + pairs.map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&")
    }

    /// Encodes text as an HTML form does in a query: unreserved characters stay, a space is `+`, all else `%XX`.
    static func formEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF")
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out.append("+")
            default:
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}

/// Runs tests against a fresh node: its own temporary directory, key, profile (jurisdiction TH), SQLite store
/// and tokens, built by the same `buildApplication` that `concord serve` uses.
enum TestNode {
    /// Builds a node with `limits`, runs `body` against it through the router test client, then removes it.
    static func run(
        limits: APILimits = APILimits(),
        passwordCost: PasswordHasher.Cost = .testing,
        _ body: @Sendable (NodeClient) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("concord-web-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var logger = Logger(label: "concord.tests.web")
        logger.logLevel = .warning
        let path = directory.appendingPathComponent("concord.sqlite").path
        let key = NodeKey()
        let profile = NodeProfile(
            organisation: "Test Anti-Scam Centre",
            kind: .antiScamCentre,
            jurisdiction: "TH",
            languages: ["th", "en"],
            timeZone: "Asia/Bangkok",
            contact: "soc@anti-scam.example"
        )

        let store = try await SQLStore.open(.sqlite(path: path), logger: logger)
        let tokens: TestTokens
        do {
            tokens = try await makeTokens(in: store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()

        var configuration = NodeConfiguration(
            host: "127.0.0.1",
            port: 0,
            key: key,
            profile: profile,
            database: .sqlite(path: path)
        )
        configuration.limits = limits
        configuration.passwordCost = passwordCost
        let app = try await buildApplication(configuration: configuration, logger: logger)
        let nodeID = key.nodeID
        try await app.test(.router) { client in
            try await body(NodeClient(client: client, tokens: tokens, nodeID: nodeID))
        }
    }

    /// Adds one token of each role, and one revoked analyst token.
    private static func makeTokens(in store: SQLStore) async throws -> TestTokens {
        func add(_ role: TokenRole, _ label: String, scope: CheckScope = .green) async throws -> TokenSecret {
            let secret = TokenSecret.generate()
            _ = try await store.addToken(id: secret.id, hash: secret.hash, role: role, label: label, scope: scope)
            return secret
        }
        let checker = try await add(.checker, "bank payment switch", scope: .amber)
        let greenChecker = try await add(.checker, "public check page")
        let fullChecker = try await add(.checker, "police unit's screening", scope: .all)
        let analyst = try await add(.analyst, "fraud analyst")
        let admin = try await add(.admin, "operator")
        let revoked = try await add(.analyst, "analyst who left")
        for (name, role) in [("ana", TokenRole.analyst), ("chk", .checker), ("root", .admin)] {
            _ = try await store.addUser(
                id: UserName.newID(),
                username: name,
                role: role,
                passwordHash: PasswordHasher.hash(TestTokens.password, cost: .testing)
            )
        }
        let wasLive = try await store.revokeToken(id: revoked.id)
        #expect(wasLive, "the revoked test token should have been live before revocation")
        return TestTokens(
            checker: checker.token,
            greenChecker: greenChecker.token,
            fullChecker: fullChecker.token,
            analyst: analyst.token,
            admin: admin.token,
            revoked: revoked.token
        )
    }
}

/// The data the tests file and look for.
enum Fixtures {
    /// An investment-scam report as a victim's case officer files it: a Thai mobile number written the local way,
    /// a mule account at bank 004, and the scam site.
    static let report = #"""
        {
          "typology": "investment",
          "occurred_at": "2025-03-14",
          "victims": 1,
          "narrative": "Added to a LINE group promising 30% a month on gold trading; paid in three transfers.",
          "loss": {"amount": "15000.00", "currency": "THB"},
          "identifiers": [
            {"kind": "phone", "value": "081 234 5678"},
            {"kind": "bank_account", "value": "123-4-56789-0", "bank": "004"},
            {"kind": "url", "value": "https://Thai-Gold-Invest.example/login?ref=line"}
          ]
        }
        """#

    /// The canonical forms of the report's identifiers.
    static let phone = "+66812345678"
    static let bankAccount = "TH:004:1234567890"
    static let url = "https://thai-gold-invest.example/login?ref=line"
    /// The host of the report's URL, indexed as a derived domain.
    static let domain = "thai-gold-invest.example"
}

/// Parses JSON written in a test.
func parseJSON(_ text: String) throws -> JSONValue {
    try JSONValue.parse(Array(text.utf8))
}

extension JSONValue {
    /// The element at `index`, if this is an array long enough.
    subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// The boolean, if this is one.
    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The strings, if this is an array of strings only.
    var stringArray: [String]? {
        guard let elements = arrayValue else { return nil }
        let strings = elements.compactMap(\.stringValue)
        return strings.count == elements.count ? strings : nil
    }
}

/// Checks that `reply` is an RFC 9457 problem as every Concord error is: status `status`, content type
/// `application/problem+json`, a `type` of `urn:concord:problem:<slug>`, `status` equal to the HTTP status, a
/// title and a detail; and, for a field error, `pointer` naming the offending field.
/// - Returns: the problem body, or `.null` when it was not JSON.
@discardableResult
func expectProblem(
    _ reply: Reply,
    _ status: HTTPResponse.Status,
    type slug: String? = nil,
    pointer: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) -> JSONValue {
    #expect(reply.status == status, "got \(reply.status.code): \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.contentType == "application/problem+json", sourceLocation: sourceLocation)
    guard let body = try? reply.json() else {
        Issue.record("the problem body is not JSON: \(reply.text)", sourceLocation: sourceLocation)
        return .null
    }
    expectProblemShape(body, status: Int(status.code), type: slug, pointer: pointer, sourceLocation: sourceLocation)
    #expect(body["instance"]?.stringValue?.hasPrefix("/") == true, "\(reply.text)", sourceLocation: sourceLocation)
    return body
}

/// Checks the members every problem has, whether it is a response body or an item of a batch or NDJSON answer.
func expectProblemShape(
    _ body: JSONValue,
    status: Int,
    type slug: String? = nil,
    pointer: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let type = body["type"]?.stringValue ?? ""
    #expect(type.hasPrefix("urn:concord:problem:"), "type is \(type)", sourceLocation: sourceLocation)
    if let slug {
        #expect(type == "urn:concord:problem:\(slug)", sourceLocation: sourceLocation)
    }
    #expect(body["status"]?.integerValue == Int64(status), sourceLocation: sourceLocation)
    #expect(body["title"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(body["detail"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    if let pointer {
        #expect(body["pointer"]?.stringValue == pointer, "\(body.canonicalString)", sourceLocation: sourceLocation)
        let listed = body["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
        #expect(listed.contains(pointer), "errors: \(listed)", sourceLocation: sourceLocation)
    }
}
