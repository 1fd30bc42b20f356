import ConcordCore
import ConcordStore
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Signing in to the pages: accounts with scrypt passwords, sessions in a cookie holding a random secret (the
/// store keeps only its SHA-256), a CSRF token per session carried by every form, and a lock after repeated
/// failures.
struct WebSessions: Sendable {
    static let cookieName = "concord_session"
    /// How long a session lasts from sign-in.
    static let lifetime: Int64 = 8 * 3600 * 1000
    /// Failed sign-ins in a row that lock an account.
    static let failureLimit = 5
    /// How long a locked account stays locked.
    static let lockMilliseconds: Int64 = 15 * 60 * 1000

    let store: SQLStore
    let cost: PasswordHasher.Cost
    /// Password checks under way: each takes 32 MiB and a core for a moment, so a flood of sign-ins is refused
    /// past `HashingGate.maximum` at once rather than queued into memory.
    let hashing = HashingGate(maximum: 4)

    /// A hash computed for unknown user names, so that a sign-in takes as long whether or not the name exists.
    let decoy: String

    init(store: SQLStore, cost: PasswordHasher.Cost) {
        self.store = store
        self.cost = cost
        self.decoy = PasswordHasher.hash("decoy password never used", cost: cost)
    }

    enum SignIn {
        case signedIn(secret: String, session: UserSession)
        case refused
        case locked(until: Timestamp)
        case busy
    }

    /// Checks a user name and password; on success starts a session.
    func signIn(username: String, password: String) async throws -> SignIn {
        guard hashing.enter() else { return .busy }
        defer { hashing.leave() }
        let now = Timestamp.now()
        guard let user = try await store.user(named: username.lowercased()), user.disabled == nil else {
            _ = PasswordHasher.verify(password, against: decoy)
            return .refused
        }
        if let until = user.lockedUntil, until > now { return .locked(until: until) }
        guard PasswordHasher.verify(password, against: user.passwordHash) else {
            let lockUntil = Timestamp(milliseconds: now.milliseconds + Self.lockMilliseconds)
            let failures = try await store.recordSignInFailure(userID: user.id, limit: Self.failureLimit, lockUntil: lockUntil)
            return failures >= Self.failureLimit ? .locked(until: lockUntil) : .refused
        }
        try await store.recordSignIn(userID: user.id)
        let secret = Self.randomText()
        let csrf = Self.randomText()
        let expires = Timestamp(milliseconds: now.milliseconds + Self.lifetime)
        let hash = ByteText.sha256Hex(Data(secret.utf8))
        try await store.addSession(hash: hash, userID: user.id, csrf: csrf, expires: expires)
        return .signedIn(secret: secret, session: UserSession(hash: hash, user: user, csrf: csrf, expires: expires))
    }

    /// The session a request's cookie names, if it is live.
    func session(of request: Request) async throws -> UserSession? {
        guard let secret = Self.cookie(Self.cookieName, in: request.headers[values: .cookie]), secret.utf8.count <= 128 else {
            return nil
        }
        return try await store.session(hash: ByteText.sha256Hex(Data(secret.utf8)))
    }

    /// The `Set-Cookie` value that holds a new session's secret: sent only over HTTPS (browsers treat
    /// 127.0.0.1 and localhost as secure), unreadable by scripts, never sent on requests from other sites.
    static func setCookie(_ secret: String) -> String {
        "\(cookieName)=\(secret); Path=/; Max-Age=\(lifetime / 1000); HttpOnly; Secure; SameSite=Strict"
    }

    /// The `Set-Cookie` value that ends the session in the browser.
    static let clearCookie = "\(cookieName)=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"

    /// The value of cookie `name` among `Cookie` headers.
    static func cookie(_ name: String, in headers: [String]) -> String? {
        for header in headers {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    /// 32 random bytes in base64url.
    static func randomText() -> String {
        ByteText.base64url(Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }))
    }

    /// Whether a form's CSRF token is the session's, compared in constant time.
    static func csrfMatches(_ presented: String?, _ session: UserSession) -> Bool {
        guard let presented, presented.utf8.count == session.csrf.utf8.count else { return false }
        return zip(presented.utf8, session.csrf.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// An `application/x-www-form-urlencoded` body.
struct FormBody: Sendable {
    private(set) var fields: [(String, String)] = []

    /// Reads at most `limit` bytes of `request`'s body as a form.
    static func read(_ request: Request, limit: Int = 1 << 20) async throws -> FormBody {
        let buffer = try await request.body.collect(upTo: limit)
        return FormBody(String(buffer: buffer))
    }

    init(_ text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
    }

    /// The first value of `name`.
    subscript(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }

    /// Every value of `name`, in order.
    func all(_ name: String) -> [String] { fields.filter { $0.0 == name }.map(\.1) }
}

/// Counts password checks under way, up to a maximum.
final class HashingGate: Sendable {
    private let running = Mutex(0)
    let maximum: Int

    init(maximum: Int) { self.maximum = maximum }

    /// Takes a place; false when all are taken.
    func enter() -> Bool {
        running.withLock { count in
            guard count < maximum else { return false }
            count += 1
            return true
        }
    }

    func leave() { running.withLock { $0 -= 1 } }
}
