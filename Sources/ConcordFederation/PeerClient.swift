public import AsyncHTTPClient
public import ConcordCore
import Foundation
public import NIOCore
public import NIOHTTP1

/// Requests to peers, each signed with this node's key (RFC 9421, Ed25519) and carrying the key itself so that
/// the peer can check it against the node id it pinned.
public struct PeerClient: Sendable {
    /// The shared HTTP client.
    public let http: HTTPClient
    /// This node's key.
    public let key: NodeKey
    /// How long one request may take.
    public let timeout: TimeAmount

    /// Creates a client signing with `key`.
    public init(http: HTTPClient, key: NodeKey, timeout: TimeAmount = .seconds(10)) {
        self.http = http
        self.key = key
        self.timeout = timeout
    }

    /// A peer's answer.
    public struct Answer: Sendable {
        /// The HTTP status code.
        public let status: Int
        /// The body.
        public let body: [UInt8]
    }

    /// The header that carries the signing node's public key.
    public static let publicKeyHeader = PeerClientHeader.publicKey

    /// Sends a signed request to `base + path` and reads the whole answer.
    /// - Parameters:
    ///   - target: the node id the request is for, signed into it (the `tag` parameter) so that no other node
    ///     accepts it if it is replayed there.
    ///   - maxBytes: the most body bytes accepted in the answer; more is an error, not a truncation.
    public func send(
        _ method: HTTPMethod,
        base: String,
        path: String,
        query: String? = nil,
        body: [UInt8]? = nil,
        target: String,
        maxBytes: Int = 1 << 20
    ) async throws -> Answer {
        let response = try await execute(method, base: base, path: path, query: query, body: body, target: target)
        let bytes = try await response.body.collect(upTo: maxBytes)
        return Answer(status: Int(response.status.code), body: Array(bytes.readableBytesView))
    }

    /// Sends a signed request to `base + path` and returns the response with its body still to be read, for
    /// answers read as they arrive (a feed page). A redirect is returned as it is, never followed: a peer is
    /// reached at the address it was pinned with.
    public func execute(
        _ method: HTTPMethod,
        base: String,
        path: String,
        query: String? = nil,
        body: [UInt8]? = nil,
        target: String
    ) async throws -> HTTPClientResponse {
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        var request = HTTPClientRequest(url: trimmed + path + (query.map { "?" + $0 } ?? ""))
        request.method = method
        let digest = body.map { ContentDigest.sha256($0) }
        let (input, signature) = HTTPMessageSignature.sign(
            method: method.rawValue,
            path: path,
            query: query,
            contentDigest: digest,
            keyID: key.nodeID,
            created: .now(),
            nonce: HTTPMessageSignature.makeNonce(),
            key: key,
            tag: target
        )
        request.headers.add(name: "Signature-Input", value: input)
        request.headers.add(name: "Signature", value: signature)
        request.headers.add(name: Self.publicKeyHeader, value: ByteText.base64url(key.publicKey))
        if let body, let digest {
            request.headers.add(name: "Content-Digest", value: digest)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return try await http.execute(request, timeout: timeout)
    }

    /// An HTTP client for calls to peers and webhooks: redirects are not followed (a redirect could carry a signed
    /// request, or a pull, to another host or from https to http), so a 3xx answer is an answer like any other.
    public static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
