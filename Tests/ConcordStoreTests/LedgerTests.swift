import ConcordStore
import Testing

@testable import ConcordCore

@Suite("Ledger and check index", .serialized)
struct LedgerTests {
    @Test("checks see a record once its transaction commits, and a retraction withdraws it", arguments: StoreBackend.available)
    func indexFollowsWrites(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let ledger = Ledger(store: store, logger: testLogger)
            let key = NodeKey()
            let phone = Identifier(kind: .phone, canonical: "+66812345678")
            #expect(!ledger.index.check(phone).flagged)
            let first = try indicator("081 234 5678", key: key, confidence: 60, jurisdiction: "TH")
            let second = try indicator("+66 81 234 5678", key: key, typology: "job", confidence: 90, jurisdiction: "MY")
            _ = try await ledger.append([first, second])
            let flagged = ledger.index.check(phone)
            #expect(flagged.flagged)
            #expect(flagged.indicators == 2)
            #expect(flagged.jurisdictions == ["MY", "TH"])
            #expect(Set(flagged.typologies) == [.investment, .job])
            #expect(flagged.highestConfidence == 90)
            _ = try await ledger.append([try RecordInput.retraction(of: second, reason: "wrong number").sign(with: key)])
            let after = ledger.index.check(phone)
            #expect(after.flagged)
            #expect(after.indicators == 1)
            #expect(after.highestConfidence == 60)
            #expect(after.jurisdictions == ["TH"])
            _ = try await ledger.append([try RecordInput.retraction(of: first, reason: "wrong number").sign(with: key)])
            let gone = ledger.index.check(phone)
            #expect(!gone.flagged)
            #expect(gone.retracted)
        }
    }

    @Test("a retraction that arrives before its record withdraws the record when it comes", arguments: StoreBackend.available)
    func retractionFirst(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let ledger = Ledger(store: store, logger: testLogger)
            let key = NodeKey()
            let phone = Identifier(kind: .phone, canonical: "+66812345679")
            let record = try indicator("081 234 5679", key: key, confidence: 60, jurisdiction: "TH")
            let retraction = try RecordInput.retraction(of: record, reason: "entered in error").sign(with: key)
            // Another node's retraction of it is not honoured.
            let forged = RecordDraft(kind: .retraction, body: retraction.body, label: retraction.label, exercise: false)
                .sign(with: NodeKey())
            _ = try await ledger.append([forged, retraction])
            _ = try await ledger.append([record])
            #expect(try await store.record(id: record.id)?.retractedBy == retraction.id)
            #expect(!ledger.index.check(phone).flagged)
            #expect(ledger.index.check(phone).retracted)
            // A node that loads its index from the store afterwards agrees.
            let reloaded = Ledger(store: store, logger: testLogger)
            try await reloaded.loadIndex()
            #expect(!reloaded.index.check(phone).flagged)
        }
    }

    @Test(
        "a retraction by another origin leaves the record flagged and costs no index rebuild",
        arguments: StoreBackend.available
    )
    func foreignRetractionSkipsRebuild(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let ledger = Ledger(store: store, logger: testLogger)
            let key = NodeKey()
            let phone = Identifier(kind: .phone, canonical: "+66812345670")
            let record = try indicator("081 234 5670", key: key, confidence: 60, jurisdiction: "TH")
            _ = try await ledger.append([record])
            let retraction = try RecordInput.retraction(of: record, reason: "not theirs to withdraw")
            let forged = (0..<20).map { _ in retraction.sign(with: NodeKey()) }
            _ = try await ledger.append(forged)
            #expect(ledger.reindexes == 0)
            #expect(ledger.index.check(phone).flagged)
            _ = try await ledger.append([retraction.sign(with: key)])
            #expect(ledger.reindexes == 1)
            #expect(!ledger.index.check(phone).flagged)
        }
    }

    @Test("an index loaded from the store answers as the one that saw the writes", arguments: StoreBackend.available)
    func loadMatchesLive(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let live = Ledger(store: store, logger: testLogger)
            let key = NodeKey()
            var generator = SyntheticReports(seed: 7)
            var drafts: [RecordDraft] = []
            for _ in 0..<300 { drafts.append(try RecordInput.report(generator.next(), nodeJurisdiction: "TH")) }
            let records = await RecordDraft.signAll(drafts, with: key)
            _ = try await live.append(records)
            _ = try await live.append([try RecordInput.retraction(of: records[0], reason: "duplicate report").sign(with: key)])
            let loaded = Ledger(store: store, logger: testLogger)
            try await loaded.loadIndex()
            #expect(loaded.index.count == live.index.count)
            let identifiers = records.flatMap { $0.indexedIdentifiers.map(\.identifier) }
            #expect(loaded.index.check(identifiers) == live.index.check(identifiers))
        }
    }

    @Test("records written by another process are indexed once by catch-up, never twice", arguments: StoreBackend.available)
    func catchUp(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, location in
            let serving = Ledger(store: store, logger: testLogger)
            try await serving.loadIndex()
            let key = NodeKey()
            // Another process (an import, another replica) writes to the same store.
            let other = try await SQLStore.open(location, logger: testLogger)
            let importer = Ledger(store: other, logger: testLogger)
            _ = try await importer.append([try indicator("081 111 2222", key: key)])
            await other.close()
            // And this process writes too.
            _ = try await serving.append([try indicator("081 333 4444", key: key)])
            #expect(try await serving.catchUp() == 1)
            #expect(try await serving.catchUp() == 0)
            for phone in ["+66811112222", "+66813334444"] {
                #expect(serving.index.check(Identifier(kind: .phone, canonical: phone)).indicators == 1)
            }
        }
    }

    @Test("exercise records are stored but never reach the live check index", arguments: [StoreBackend.sqlite])
    func exercise(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let ledger = Ledger(store: store, logger: testLogger)
            let draft = try RecordInput.indicator(
                .object([
                    "kind": .string("phone"), "value": .string("0812345678"), "typology": .string("job"), "exercise": .bool(true),
                ]),
                nodeJurisdiction: "TH"
            )
            _ = try await ledger.append([draft.sign(with: NodeKey())])
            #expect(!ledger.index.check(Identifier(kind: .phone, canonical: "+66812345678")).flagged)
            try await ledger.loadIndex()
            #expect(ledger.index.count == 0)
        }
    }

    @Test("re-importing the same indicators answers duplicate and counts nothing twice", arguments: StoreBackend.available)
    func reimport(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let ledger = Ledger(store: store, logger: testLogger)
            let key = NodeKey()
            let feed: [JSONValue] = [
                .object(["kind": .string("domain"), "value": .string("Scam-Shop.example.com."), "typology": .string("purchase")]),
                .object(["kind": .string("domain"), "value": .string("scam-shop.example.com"), "typology": .string("purchase")]),
                .object(["kind": .string("phone"), "value": .string("081 234 5678"), "typology": .string("job")]),
                .object(["kind": .string("phone"), "value": .string("nope"), "typology": .string("job")]),
            ]
            let first = try await ledger.writeIndicators(feed, key: key, jurisdiction: "TH")
            guard case .created(let domainID) = first[0], case .created = first[2] else {
                Issue.record("expected created, got \(first)")
                return
            }
            #expect(first[1] == .duplicate(id: domainID))
            guard case .rejected(let error) = first[3] else {
                Issue.record("expected a rejection, got \(first[3])")
                return
            }
            #expect(error.issues.map(\.pointer) == ["/value"])
            let second = try await ledger.writeIndicators(feed, key: key, jurisdiction: "TH")
            #expect(second[0] == .duplicate(id: domainID))
            #expect(second[1] == .duplicate(id: domainID))
            #expect(ledger.index.check(Identifier(kind: .domain, canonical: "scam-shop.example.com")).indicators == 1)
            // A different typology for the same identifier is new information, not a duplicate.
            let retyped = try await ledger.writeIndicators(
                [.object(["kind": .string("phone"), "value": .string("0812345678"), "typology": .string("loan")])],
                key: key,
                jurisdiction: "TH"
            )
            guard case .created = retyped[0] else {
                Issue.record("expected created, got \(retyped)")
                return
            }
            #expect(try await store.lastSequence() == 3)
            // A changed confidence supersedes the held indicator: one new record, the old one retracted, still one entry.
            let raised = try await ledger.writeIndicators(
                [
                    .object([
                        "kind": .string("domain"), "value": .string("scam-shop.example.com"), "typology": .string("purchase"),
                        "confidence": .integer(95),
                    ])
                ],
                key: key,
                jurisdiction: "TH"
            )
            guard case .created(let newID) = raised[0] else {
                Issue.record("expected created, got \(raised)")
                return
            }
            #expect(try await store.record(id: domainID)?.retractedBy != nil)
            let domain = ledger.index.check(Identifier(kind: .domain, canonical: "scam-shop.example.com"))
            #expect(domain.indicators == 1 && domain.highestConfidence == 95)
            #expect(
                try await store.liveIndicators(
                    origin: key.nodeID,
                    naming: [Identifier(kind: .domain, canonical: "scam-shop.example.com")]
                ).map(\.recordID) == [newID]
            )
        }
    }

    @Test(
        "pipelined batches de-duplicate against the batch still being stored, and supersede what changed",
        arguments: StoreBackend.available
    )
    func pipelined(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let ledger = Ledger(store: store, logger: testLogger)
            let key = NodeKey()
            func line(_ phone: String, _ confidence: Int64) -> JSONValue {
                .object([
                    "kind": .string("phone"), "value": .string(phone), "typology": .string("job"),
                    "confidence": .integer(confidence),
                ])
            }
            let batches: [[JSONValue]] = [
                [line("081 111 1111", 50), line("081 222 2222", 50)],
                [line("+66811111111", 50), line("081 222 2222", 90)],  // the same, then a change
                [line("0811111111", 50), .object(["kind": .string("phone")])],
            ]
            var results: [[IndicatorOutcome]] = []
            try await ledger.writeIndicatorBatches(batches, key: key, jurisdiction: "TH") { results.append($0) }
            #expect(results.count == 3)
            guard case .created(let first) = results[0][0], case .created(let second) = results[0][1] else {
                Issue.record("expected two created, got \(results[0])")
                return
            }
            #expect(results[1][0] == .duplicate(id: first))
            guard case .created = results[1][1] else {
                Issue.record("a changed confidence must be written, got \(results[1][1])")
                return
            }
            #expect(results[2][0] == .duplicate(id: first))
            guard case .rejected = results[2][1] else {
                Issue.record("expected a rejection, got \(results[2][1])")
                return
            }
            #expect(try await store.record(id: second)?.retractedBy != nil)
            let changed = ledger.index.check(Identifier(kind: .phone, canonical: "+66812222222"))
            #expect(changed.indicators == 1 && changed.highestConfidence == 90)
            #expect(ledger.index.check(Identifier(kind: .phone, canonical: "+66811111111")).indicators == 1)
        }
    }
}
