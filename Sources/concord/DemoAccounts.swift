import ConcordCore
import ConcordStore
import ConcordWeb

/// The accounts a demo node's pages are signed in with: `analyst`, `admin` and `checker`, one password for the
/// whole demo, made anew on each run and printed with the node's address.
enum DemoAccounts {
    static let names: [(String, TokenRole)] = [("analyst", .analyst), ("admin", .admin), ("checker", .checker)]

    /// Creates the accounts in `store`, or gives existing ones `password` (a rerun on the same directory).
    static func ensure(in store: SQLStore, password: String, cost: PasswordHasher.Cost = .standard) async throws {
        let hash = PasswordHasher.hash(password, cost: cost)
        for (name, role) in names {
            if let existing = try await store.user(named: name) {
                try await store.setPassword(userID: existing.id, passwordHash: hash)
                try await store.recordSignIn(userID: existing.id)
            } else {
                _ = try await store.addUser(id: UserName.newID(), username: name, role: role, passwordHash: hash)
            }
        }
    }

    /// The banner lines that tell a person how to sign in.
    static func banner(password: String) -> [String] {
        ["  sign in   user analyst, admin or checker; password \(password)"]
    }
}
