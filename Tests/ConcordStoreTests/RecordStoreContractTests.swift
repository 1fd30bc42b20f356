import ConcordCore
import ConcordStore
import Foundation
import Testing

/// One contract for the store, run against SQLite always and PostgreSQL when CI provides it.
@Suite("Record store contract", .serialized)
struct RecordStoreContractTests {
    @Test("an appended record is read back verified, and a duplicate is dropped by id", arguments: StoreBackend.available)
    func appendAndDedupe(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let key = NodeKey()
            let record = try indicator("081 234 5678", key: key)
            let first = try await store.append([record, record])
            #expect(first == [.stored(sequence: 1), .duplicate])
            #expect(try await store.append([record]) == [.duplicate])
            let stored = try #require(try await store.record(id: record.id))
            #expect(stored.record == record)
            #expect(stored.sequence == 1)
            #expect(stored.retractedBy == nil)
            #expect(try await store.lastSequence() == 1)
            #expect(try await store.record(id: String(repeating: "0", count: 64)) == nil)
        }
    }

    @Test("alerts and seen nonces are kept and read back", arguments: StoreBackend.available)
    func alertsAndNonces(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            for n in 1...3 {
                let body: JSONValue = .object(["sequence": .integer(Int64(n)), "campaign_id": .string("c-\(n)")])
                try await store.saveAlert(sequence: n, raised: Timestamp(milliseconds: Int64(n) * 1000), body: body)
            }
            // A second write of the same number changes nothing.
            try await store.saveAlert(sequence: 3, raised: .now(), body: .object(["sequence": .integer(3)]))
            let kept = try await store.recentAlerts(limit: 2)
            #expect(kept.map { $0["sequence"]?.integerValue } == [2, 3])
            #expect(kept.last?["campaign_id"] == .string("c-3"))

            let now = Timestamp.now()
            try await store.rememberNonces(
                [(nonce: "peer/a", created: now), (nonce: "peer/old", created: Timestamp(milliseconds: 1000))],
                forgetBefore: Timestamp(milliseconds: 0)
            )
            #expect(try await store.hasSeenNonce("peer/a"))
            #expect(!(try await store.hasSeenNonce("peer/b")))
            // Writing again, with old ones forgotten: the same nonce twice is fine, the old one goes.
            try await store.rememberNonces(
                [(nonce: "peer/a", created: now)],
                forgetBefore: Timestamp(milliseconds: now.milliseconds - 60_000)
            )
            #expect(try await store.hasSeenNonce("peer/a"))
            #expect(!(try await store.hasSeenNonce("peer/old")))
        }
    }

    @Test("listing pages through the log in order with a cursor and filters", arguments: StoreBackend.available)
    func listing(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let a = NodeKey()
            let b = NodeKey()
            var records: [Record] = []
            for n in 0..<25 { records.append(try indicator("0812345\(String(format: "%03d", n))", key: n % 5 == 0 ? b : a)) }
            _ = try await store.append(records)
            var seen: [String] = []
            var cursor: Int64 = 0
            while true {
                let page = try await store.records(RecordQuery(after: cursor, limit: 10))
                guard let last = page.last else { break }
                seen += page.map(\.record.id)
                cursor = last.sequence
            }
            #expect(seen == records.map(\.id))
            let fromB = try await store.records(RecordQuery(limit: 100, origin: b.nodeID))
            #expect(fromB.count == 5)
            #expect(try await store.records(RecordQuery(limit: 100, kind: .report)).isEmpty)
        }
    }

    @Test("a retraction marks the record it withdraws, only when both have the same origin", arguments: StoreBackend.available)
    func retraction(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let key = NodeKey()
            let other = NodeKey()
            let target = try indicator("081 234 5678", key: key)
            _ = try await store.append([target])
            let forged = try RecordInput.retraction(of: target, reason: "not mine to withdraw").sign(with: other)
            _ = try await store.append([forged])
            #expect(try await store.record(id: target.id)?.retractedBy == nil)
            let real = try RecordInput.retraction(of: target, reason: "reported in error").sign(with: key)
            _ = try await store.append([real])
            #expect(try await store.record(id: target.id)?.retractedBy == real.id)
            let rows = try await store.indexedIdentifiers(naming: Identifier(kind: .phone, canonical: "+66812345678"))
            #expect(rows.count == 1)
            #expect(rows.first?.retracted == true)
        }
    }

    @Test("a tampered row is refused on read, not served", arguments: [StoreBackend.sqlite])
    func tamperedRow(_ backend: StoreBackend) async throws {
        let key = NodeKey()
        let record = try indicator("081 234 5678", key: key)
        let location = try backend.freshLocation()
        let store = try await SQLStore.open(location, logger: testLogger)
        _ = try await store.append([record])
        await store.close()
        guard case .sqlite(let path) = location else { return }
        // Edit the stored content behind the store's back, as an attacker with file access might.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let needle = Data("+66812345678".utf8)
        if let range = bytes.range(of: needle) { bytes.replaceSubrange(range, with: Data("+66812345679".utf8)) }
        try bytes.write(to: URL(fileURLWithPath: path))
        let reopened = try await SQLStore.open(location, logger: testLogger)
        await #expect(throws: RecordError.self) { try await reopened.record(id: record.id) }
        await reopened.close()
    }

    @Test("tokens are kept as hashes, found while live and refused once revoked", arguments: StoreBackend.available)
    func tokens(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let secret = TokenSecret.generate()
            _ = try await store.addToken(id: secret.id, hash: secret.hash, role: .checker, label: "bank payment gateway")
            #expect(try await store.token(hash: TokenSecret.hash(of: secret.token))?.role == .checker)
            #expect(try await store.token(hash: TokenSecret.hash(of: secret.token + "x")) == nil)
            #expect(try await store.revokeToken(id: secret.id))
            #expect(try await !store.revokeToken(id: secret.id))
            #expect(try await store.token(hash: secret.hash) == nil)
            #expect(try await store.tokens().first?.revoked != nil)
        }
    }

    @Test("reopening a store keeps its records and applies no migration twice", arguments: StoreBackend.available)
    func reopen(_ backend: StoreBackend) async throws {
        let location = try backend.freshLocation()
        let key = NodeKey()
        let record = try indicator("081 234 5678", key: key)
        let first = try await SQLStore.open(location, logger: testLogger)
        _ = try await first.append([record])
        await first.close()
        let second = try await SQLStore.open(location, logger: testLogger)
        #expect(try await second.record(id: record.id)?.record == record)
        await second.close()
    }

    @Test("bulk append of 20,000 records keeps every one, in order", arguments: StoreBackend.available)
    func bulk(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let key = NodeKey()
            var drafts: [RecordDraft] = []
            for n in 0..<20_000 {
                drafts.append(
                    try RecordInput.indicator(
                        .object([
                            "kind": .string("phone"), "value": .string("+6681\(String(format: "%07d", n))"),
                            "typology": .string("job"),
                        ]),
                        nodeJurisdiction: "TH"
                    )
                )
            }
            let records = await RecordDraft.signAll(drafts, with: key)
            let outcomes = try await store.append(records)
            #expect(outcomes.allSatisfy { if case .stored = $0 { true } else { false } })
            #expect(try await store.lastSequence() == 20_000)
            var count = 0
            _ = try await store.forEachIndexedIdentifierPage(through: 20_000) { page in count += page.count }
            #expect(count == 20_000)
        }
    }
}
