import ConcordCore
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Synchronization

/// Reads `Authorization: Bearer <token>`, hashes it and looks the hash up, caching answers for a few
/// seconds so that checks do not touch the database. A revoked token stops working within `ttl`.
struct TokenAuthMiddleware: RouterMiddleware {
    typealias Context = ConcordRequestContext

    let tokens: any TokenStore
    let cache: TokenCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
    {
        var context = context
        // An absent, malformed, unknown or revoked token leaves the context without one: routes that need a
        // token answer 401, and health probes answer as usual.
        if let header = request.headers[.authorization], let presented = Self.bearerToken(header) ?? Self.basicToken(header) {
            let hash = TokenSecret.hash(of: presented)
            let token: APIToken?
            if let cached = cache.lookup(hash) {
                token = cached
            } else {
                token = try await tokens.token(hash: hash)
                cache.store(hash, token)
            }
            context.token = token
        }
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme in any case), or nil.
    static func bearerToken(_ header: String) -> String? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count,
            zip(bytes, scheme).allSatisfy({ ($0 | 0x20) == $1 || ($0 == 0x20 && $1 == 0x20) })
        else { return nil }
        var start = scheme.count
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return start < end ? String(decoding: bytes[start..<end], as: UTF8.self) : nil
    }
}

extension TokenAuthMiddleware {
    /// The token of an `Authorization: Basic` header, for clients (TAXII clients among them) that only speak
    /// HTTP Basic: the password is the token, whatever the user name; a header with an empty password gives
    /// the user name instead.
    static func basicToken(_ header: String) -> String? {
        let bytes = Array(header.utf8)
        let scheme = Array("basic ".utf8)
        guard bytes.count > scheme.count, zip(bytes, scheme).allSatisfy({ ($0 | 0x20) == ($1 | 0x20) }) else { return nil }
        let encoded = String(decoding: bytes[scheme.count...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard encoded.utf8.count <= 1024, let decoded = Data(base64Encoded: encoded),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        let password = String(text[text.index(after: colon)...])
        let user = String(text[..<colon])
        let token = password.isEmpty ? user : password
        return token.isEmpty ? nil : token
    }
}

/// Recently seen token hashes and what they resolved to (nil for unknown or revoked).
final class TokenCache: Sendable {
    private struct Entry {
        let token: APIToken?
        let expires: ContinuousClock.Instant
    }

    private let entries = Mutex([String: Entry]())
    let ttl: Duration

    init(ttl: Duration = .seconds(5)) {
        self.ttl = ttl
    }

    /// The cached answer: `.some(nil)` means known to be invalid; `nil` means not cached.
    func lookup(_ hash: String) -> APIToken?? {
        let now = ContinuousClock.now
        return entries.withLock { e -> APIToken?? in
            guard let entry = e[hash], entry.expires > now else { return nil }
            return .some(entry.token)
        }
    }

    func store(_ hash: String, _ token: APIToken?) {
        let expires = ContinuousClock.now + ttl
        let now = ContinuousClock.now
        entries.withLock { e in
            if e.count >= 10_000 { e = e.filter { $0.value.expires > now } }
            // When still full, unknown tokens (which anyone can make up) are not cached, so a flood of them
            // cannot push out the node's real tokens.
            guard e.count < 10_000 || token != nil else { return }
            e[hash] = Entry(token: token, expires: expires)
        }
    }
}
