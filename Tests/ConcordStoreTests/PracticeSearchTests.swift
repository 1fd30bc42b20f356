import ConcordCore
import ConcordStore
import Foundation
import Testing

/// The practice library's full-text search and the triage queue, on SQLite and on PostgreSQL when CI provides it.
@Suite("Practice search and triage in the store", .serialized)
struct PracticeSearchTests {
    static func practice(_ title: String, _ text: String, factors: [String], key: NodeKey) throws -> Record {
        try RecordInput.practice(
            [
                "title": .string(title), "kind": "playbook", "text": .string(text),
                "factors": .array(factors.map(JSONValue.string)), "language": "en",
            ],
            nodeJurisdiction: "TH"
        ).sign(with: key)
    }

    @Test(
        "every word must match, title words rank first, tags are searchable, a withdrawn entry is gone",
        arguments: StoreBackend.available
    )
    func search(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let key = NodeKey()
            let freeze = try Self.practice(
                "Freezing mule accounts within the hour",
                "Call the bank's fraud desk, then confirm in writing. Keep the transaction references.",
                factors: ["financial-investigation-freezing"],
                key: key
            )
            let hotline = try Self.practice(
                "Running a scam reporting hotline",
                "Staff the hotline in shifts; ask victims for transaction references and the account that was paid.",
                factors: ["reporting-hotline"],
                key: key
            )
            _ = try await store.append([freeze, hotline])
            #expect(try await store.searchPractices("transaction references").map(\.recordID).count == 2)
            let titled = try await store.searchPractices("hotline")
            #expect(titled.map(\.recordID) == [hotline.id])
            #expect(try await store.searchPractices("freezing bank").map(\.recordID) == [freeze.id])
            #expect(
                try await store.searchPractices("financial-investigation-freezing").first?.recordID == freeze.id,
                "tags are searched"
            )
            #expect(try await store.searchPractices("\") OR * NEAR(").isEmpty, "query syntax is never interpreted")
            #expect(try await store.searchPractices("nothing-like-this").isEmpty)
            let both = try await store.searchPractices("references")
            #expect(Set(both.map(\.recordID)) == [freeze.id, hotline.id])
            _ = try await store.append([try RecordInput.retraction(of: hotline, reason: "outdated").sign(with: key)])
            #expect(try await store.searchPractices("hotline").isEmpty)
        }
    }

    @Test(
        "a triage item is claimed once: a second acceptance fails, a released claim can be taken again",
        arguments: StoreBackend.available
    )
    func triageClaim(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let item = try await store.addTriageItem(kind: .report, body: ["typology": "job"])
            #expect(try await store.pendingTriageCount() == 1)
            #expect(try await store.decideTriageItem(id: item.id, status: .accepted, by: "ana", recordID: nil, note: nil))
            #expect(try await !store.decideTriageItem(id: item.id, status: .accepted, by: "bob", recordID: nil, note: nil))
            try await store.releaseTriageItem(id: item.id)
            #expect(try await store.triageItem(id: item.id)?.status == .pending)
            #expect(try await store.decideTriageItem(id: item.id, status: .accepted, by: "bob", recordID: nil, note: nil))
            try await store.setTriageRecords(id: item.id, recordIDs: ["a", "b"])
            try await store.releaseTriageItem(id: item.id)
            let held = try await store.triageItem(id: item.id)
            #expect(
                held?.status == .accepted && held?.recordID == "a,b" && held?.decidedBy == "bob",
                "a claim with records is kept"
            )
            #expect(try await store.triageItems(status: .pending).isEmpty)
        }
    }
}
