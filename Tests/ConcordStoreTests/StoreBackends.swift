import ConcordCore
import ConcordStore
import Foundation
import Logging

/// The stores every contract test runs against: SQLite always, PostgreSQL when CONCORD_TEST_POSTGRES_URL is set.
enum StoreBackend: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    static var available: [StoreBackend] {
        ProcessInfo.processInfo.environment["CONCORD_TEST_POSTGRES_URL"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    /// A fresh, empty location: a new SQLite file, or a new PostgreSQL schema.
    func freshLocation() throws -> DatabaseLocation {
        let unique = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-store-\(unique)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return .sqlite(path: dir.appendingPathComponent("concord.sqlite").path)
        case .postgres:
            let url = ProcessInfo.processInfo.environment["CONCORD_TEST_POSTGRES_URL"] ?? ""
            return .postgres(url: url, schema: "t_\(unique.prefix(16))")
        }
    }
}

let testLogger = Logger(label: "concord-tests")

/// Opens a fresh store on `backend`, runs `body`, and closes it.
func withStore<T>(_ backend: StoreBackend, _ body: (SQLStore, DatabaseLocation) async throws -> T) async throws -> T {
    let location = try backend.freshLocation()
    let store = try await SQLStore.open(location, logger: testLogger)
    do {
        let result = try await body(store, location)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

/// A signed indicator record for `phone` written by `key`.
func indicator(
    _ phone: String,
    key: NodeKey,
    typology: String = "investment",
    confidence: Int64 = 70,
    jurisdiction: String = "TH"
)
    throws -> Record
{
    try RecordInput.indicator(
        .object([
            "kind": .string("phone"), "value": .string(phone), "typology": .string(typology),
            "confidence": .integer(confidence), "jurisdiction": .string(jurisdiction),
        ]),
        nodeJurisdiction: "TH"
    ).sign(with: key)
}
