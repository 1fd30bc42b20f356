public import ConcordCore
import SQLKit

/// A person who signs in to the node's pages.
public struct UserAccount: Sendable, Equatable {
    /// Public id: 12 hex digits.
    public let id: String
    /// The name they sign in with: lower-case letters, digits, `.`, `_` and `-`.
    public let username: String
    public let role: TokenRole
    /// The encoded password hash (`scrypt$...`), never the password.
    public let passwordHash: String
    public let created: Timestamp
    /// Failed sign-ins since the last success.
    public let failures: Int
    /// Until when sign-in is refused after too many failures.
    public let lockedUntil: Timestamp?
    /// When the account was disabled; disabled accounts cannot sign in and their sessions end.
    public let disabled: Timestamp?
}

/// A signed-in session: the hash of the secret in the person's cookie, never the secret.
public struct UserSession: Sendable, Equatable {
    public let hash: String
    public let user: UserAccount
    /// The token every form of this session carries, compared on each POST.
    public let csrf: String
    public let expires: Timestamp

    public init(hash: String, user: UserAccount, csrf: String, expires: Timestamp) {
        self.hash = hash
        self.user = user
        self.csrf = csrf
        self.expires = expires
    }
}

/// What went wrong creating an account.
public enum UserStoreError: Error, Equatable {
    case usernameTaken(String)
}

extension SQLStore {
    private static let userColumns =
        "u.id, u.username, u.role, u.password, u.created_ms, u.failures, u.locked_until_ms, u.disabled_ms"

    /// Creates an account.
    /// - Throws: `UserStoreError.usernameTaken` when the name is in use.
    public func addUser(id: String, username: String, role: TokenRole, passwordHash: String) async throws -> UserAccount {
        let now = Timestamp.now()
        if try await user(named: username) != nil { throw UserStoreError.usernameTaken(username) }
        try await transaction { db in
            try await db.raw(
                """
                INSERT INTO users (id, username, role, password, created_ms) \
                VALUES (\(bind: id), \(bind: username), \(bind: role.rawValue), \(bind: passwordHash), \(bind: now.milliseconds))
                """
            ).run()
        }
        return UserAccount(
            id: id,
            username: username,
            role: role,
            passwordHash: passwordHash,
            created: now,
            failures: 0,
            lockedUntil: nil,
            disabled: nil
        )
    }

    /// The account with this user name, disabled or not.
    public func user(named username: String) async throws -> UserAccount? {
        try await reader.raw("SELECT \(unsafeRaw: Self.userColumns) FROM users u WHERE u.username = \(bind: username)")
            .all().first.map(Self.userAccount)
    }

    /// Every account, by user name.
    public func users() async throws -> [UserAccount] {
        try await reader.raw("SELECT \(unsafeRaw: Self.userColumns) FROM users u ORDER BY u.username").all()
            .map(Self.userAccount)
    }

    /// Records a failed sign-in; once `limit` have come in a row the account is locked until `lockUntil`.
    /// - Returns: the failures in a row, this one included.
    @discardableResult
    public func recordSignInFailure(userID: String, limit: Int, lockUntil: Timestamp) async throws -> Int {
        try await transaction { db in
            let row = try await db.raw(
                "UPDATE users SET failures = failures + 1 WHERE id = \(bind: userID) RETURNING failures"
            ).first()
            let failures = try row?.decode(column: "failures", as: Int.self) ?? 0
            if failures >= limit {
                try await db.raw(
                    "UPDATE users SET locked_until_ms = \(bind: lockUntil.milliseconds), failures = 0 WHERE id = \(bind: userID)"
                ).run()
            }
            return failures
        }
    }

    /// Clears the failure count and any lock after a successful sign-in.
    public func recordSignIn(userID: String) async throws {
        try await transaction { db in
            try await db.raw("UPDATE users SET failures = 0, locked_until_ms = NULL WHERE id = \(bind: userID)").run()
        }
    }

    /// Replaces an account's password hash and ends its sessions.
    public func setPassword(userID: String, passwordHash: String) async throws {
        try await transaction { db in
            try await db.raw("UPDATE users SET password = \(bind: passwordHash) WHERE id = \(bind: userID)").run()
            try await db.raw("DELETE FROM sessions WHERE user_id = \(bind: userID)").run()
        }
    }

    /// Disables an account and ends its sessions; false when there is no such enabled account.
    public func disableUser(username: String) async throws -> Bool {
        let now = Timestamp.now().milliseconds
        return try await transaction { db in
            let rows = try await db.raw(
                "UPDATE users SET disabled_ms = \(bind: now) WHERE username = \(bind: username) AND disabled_ms IS NULL RETURNING id"
            ).all()
            guard let id = try rows.first?.decode(column: "id", as: String.self) else { return false }
            try await db.raw("DELETE FROM sessions WHERE user_id = \(bind: id)").run()
            return true
        }
    }

    /// Starts a session for `userID`, stored under the hash of its secret.
    public func addSession(hash: String, userID: String, csrf: String, expires: Timestamp) async throws {
        let now = Timestamp.now().milliseconds
        try await transaction { db in
            try await db.raw("DELETE FROM sessions WHERE expires_ms < \(bind: now)").run()
            try await db.raw(
                """
                INSERT INTO sessions (hash, user_id, csrf, created_ms, expires_ms) \
                VALUES (\(bind: hash), \(bind: userID), \(bind: csrf), \(bind: now), \(bind: expires.milliseconds))
                """
            ).run()
        }
    }

    /// The live session with this hash, of an enabled account; nil when unknown, expired or disabled.
    public func session(hash: String, now: Timestamp = .now()) async throws -> UserSession? {
        let rows = try await reader.raw(
            """
            SELECT s.hash, s.csrf, s.expires_ms, \(unsafeRaw: Self.userColumns) FROM sessions s \
            JOIN users u ON u.id = s.user_id \
            WHERE s.hash = \(bind: hash) AND s.expires_ms > \(bind: now.milliseconds) AND u.disabled_ms IS NULL
            """
        ).all()
        return try rows.first.map { row in
            UserSession(
                hash: try row.decode(column: "hash", as: String.self),
                user: try Self.userAccount(row),
                csrf: try row.decode(column: "csrf", as: String.self),
                expires: Timestamp(milliseconds: try row.decode(column: "expires_ms", as: Int64.self))
            )
        }
    }

    /// Ends a session.
    public func removeSession(hash: String) async throws {
        try await transaction { db in try await db.raw("DELETE FROM sessions WHERE hash = \(bind: hash)").run() }
    }

    static func userAccount(_ row: any SQLRow) throws -> UserAccount {
        UserAccount(
            id: try row.decode(column: "id", as: String.self),
            username: try row.decode(column: "username", as: String.self),
            role: TokenRole(rawValue: try row.decode(column: "role", as: String.self)) ?? .checker,
            passwordHash: try row.decode(column: "password", as: String.self),
            created: Timestamp(milliseconds: try row.decode(column: "created_ms", as: Int64.self)),
            failures: try row.decode(column: "failures", as: Int.self),
            lockedUntil: try row.decode(column: "locked_until_ms", as: Int64?.self).map(Timestamp.init(milliseconds:)),
            disabled: try row.decode(column: "disabled_ms", as: Int64?.self).map(Timestamp.init(milliseconds:))
        )
    }
}
