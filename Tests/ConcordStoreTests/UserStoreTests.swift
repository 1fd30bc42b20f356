import ConcordCore
import ConcordStore
import Foundation
import Testing

@Suite("Accounts and sessions")
struct UserStoreTests {
    @Test(
        "an account is found by name; a taken name is refused; failures lock it at the limit",
        arguments: StoreBackend.available
    )
    func accounts(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let user = try await store.addUser(id: "a1b2c3d4e5f6", username: "ana", role: .analyst, passwordHash: "scrypt$x")
            #expect(try await store.user(named: "ana") == user)
            await #expect(throws: UserStoreError.usernameTaken("ana")) {
                _ = try await store.addUser(id: "000000000000", username: "ana", role: .admin, passwordHash: "scrypt$y")
            }
            let until = Timestamp(milliseconds: Timestamp.now().milliseconds + 60_000)
            for n in 1...2 {
                #expect(try await store.recordSignInFailure(userID: user.id, limit: 3, lockUntil: until) == n)
            }
            #expect(try await store.user(named: "ana")?.lockedUntil == nil)
            #expect(try await store.recordSignInFailure(userID: user.id, limit: 3, lockUntil: until) == 3)
            #expect(try await store.user(named: "ana")?.lockedUntil == until)
            try await store.recordSignIn(userID: user.id)
            let cleared = try await store.user(named: "ana")
            #expect(cleared?.lockedUntil == nil && cleared?.failures == 0)
        }
    }

    @Test(
        "a session is found by its hash until it expires, its account is disabled or it is removed",
        arguments: StoreBackend.available
    )
    func sessions(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let user = try await store.addUser(id: "a1b2c3d4e5f6", username: "ana", role: .analyst, passwordHash: "scrypt$x")
            let now = Timestamp.now()
            let later = Timestamp(milliseconds: now.milliseconds + 3_600_000)
            try await store.addSession(hash: "h1", userID: user.id, csrf: "c1", expires: later)
            try await store.addSession(hash: "h2", userID: user.id, csrf: "c2", expires: later)
            #expect(try await store.session(hash: "h1")?.csrf == "c1")
            #expect(try await store.session(hash: "h1", now: Timestamp(milliseconds: later.milliseconds + 1)) == nil)
            try await store.removeSession(hash: "h1")
            #expect(try await store.session(hash: "h1") == nil)
            #expect(try await store.session(hash: "h2")?.user.username == "ana")
            #expect(try await store.disableUser(username: "ana"))
            #expect(try await store.session(hash: "h2") == nil)
            #expect(try await !store.disableUser(username: "ana"))
        }
    }
}
