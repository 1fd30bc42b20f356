public import ConcordCore
import Foundation
public import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// The one SQL implementation of the node's storage, over SQLite (embedded) or PostgreSQL (scale-out).
///
/// Writes go through one connection, one transaction at a time; reads use a second connection, which
/// WAL mode (SQLite) or MVCC (PostgreSQL) lets run beside the writer.
public final class SQLStore: RecordStore, TokenStore {
    enum Flavor: Sendable { case sqlite, postgres }

    let flavor: Flavor
    let writer: any SQLDatabase
    let reader: any SQLDatabase
    let logger: Logger
    private let writeLock = AsyncLock()
    private let closeConnections: @Sendable () async -> Void

    private init(
        flavor: Flavor, writer: any SQLDatabase, reader: any SQLDatabase, logger: Logger,
        close: @escaping @Sendable () async -> Void
    ) {
        self.flavor = flavor
        self.writer = writer
        self.reader = reader
        self.logger = logger
        self.closeConnections = close
    }

    /// Opens (creating if needed) the store at `location` and brings its schema up to date.
    /// - Throws: a database error when the store cannot be opened or migrated.
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> SQLStore {
        let store: SQLStore
        switch location {
        case .sqlite(let path):
            let w = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let r: SQLiteConnection
            do {
                for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000"] {
                    _ = try await w.query(pragma)
                }
                r = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                _ = try await r.query("PRAGMA busy_timeout=10000")
            } catch {
                try? await w.close()
                throw error
            }
            store = SQLStore(
                flavor: .sqlite, writer: w.sql(), reader: r.sql(), logger: logger,
                close: {
                    try? await r.close()
                    try? await w.close()
                })
        case .postgres(let url, let schema):
            let configuration = try SQLPostgresConfiguration(url: url).coreConfiguration
            let w = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            let r: PostgresConnection
            do {
                r = try await PostgresConnection.connect(configuration: configuration, id: 2, logger: logger)
            } catch {
                try? await w.close()
                throw error
            }
            if let schema {
                do {
                    try await w.sql().raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
                    for connection in [w, r] {
                        try await connection.sql().raw("SET search_path TO \(ident: schema)").run()
                    }
                } catch {
                    try? await r.close()
                    try? await w.close()
                    throw error
                }
            }
            store = SQLStore(
                flavor: .postgres, writer: w.sql(), reader: r.sql(), logger: logger,
                close: {
                    try? await r.close()
                    try? await w.close()
                })
        }
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// Closes the connections.
    public func close() async {
        await closeConnections()
    }

    /// Runs `body` inside one write transaction.
    func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            try await writer.raw(flavor == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
            do {
                let result = try await body(writer)
                try await writer.raw("COMMIT").run()
                return result
            } catch {
                try? await writer.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    // MARK: - Records

    static let recordColumns =
        "seq, id, kind, origin, created_ms, received_ms, tlp, exercise, content, signature, retracted_by"

    public func append(_ records: [Record]) async throws -> [AppendOutcome] {
        guard !records.isEmpty else { return [] }
        let now = Timestamp.now().milliseconds
        return try await transaction { db in
            var outcomes: [AppendOutcome] = []
            outcomes.reserveCapacity(records.count)
            for chunk in records.chunked(into: 400) {
                // Within a chunk the same id may appear twice: only the first is new.
                var seenInChunk = Set<String>()
                var rows: [SQLQueryString] = []
                for record in chunk where seenInChunk.insert(record.id).inserted {
                    rows.append(
                        """
                        (\(bind: record.id), \(bind: record.kind.rawValue), \(bind: record.origin), \
                        \(bind: record.created.milliseconds), \(bind: now), \(bind: record.label.tlp.rawValue), \
                        \(bind: record.exercise ? 1 : 0), \(bind: String(decoding: record.canonical, as: UTF8.self)), \
                        \(bind: ByteText.base64url(record.signature)))
                        """)
                }
                let insert: SQLQueryString =
                    "INSERT INTO records (id, kind, origin, created_ms, received_ms, tlp, exercise, content, signature) VALUES "
                    + rows.joined(separator: ", ") + " ON CONFLICT (id) DO NOTHING RETURNING seq, id"
                var inserted: [String: Int64] = [:]
                for row in try await db.raw(insert).all() {
                    inserted[try row.decode(column: "id", as: String.self)] = try row.decode(column: "seq", as: Int64.self)
                }
                var identifierRows: [SQLQueryString] = []
                for record in chunk {
                    guard let seq = inserted.removeValue(forKey: record.id) else {
                        outcomes.append(.duplicate)
                        continue
                    }
                    outcomes.append(.stored(sequence: seq))
                    for item in record.indexedIdentifiers {
                        identifierRows.append(Self.identifierRow(seq: seq, item: item))
                    }
                    if let target = record.retractedRecordID {
                        try await db.raw(
                            """
                            UPDATE records SET retracted_by = \(bind: record.id) \
                            WHERE id = \(bind: target) AND origin = \(bind: record.origin) AND retracted_by IS NULL
                            """
                        ).run()
                    }
                }
                for rowChunk in identifierRows.chunked(into: 800) {
                    try await db.raw(
                        "INSERT INTO record_identifiers (record_seq, kind, value, role, typology, jurisdiction, confidence, first_seen_ms, last_seen_ms, is_report, derived) VALUES "
                            + rowChunk.joined(separator: ", ")
                    ).run()
                }
            }
            return outcomes
        }
    }

    private static func identifierRow(seq: Int64, item: IndexedIdentifier) -> SQLQueryString {
        """
        (\(bind: seq), \(bind: item.identifier.kind.rawValue), \(bind: item.identifier.canonical), \
        \(bind: item.role?.rawValue), \(bind: item.typology?.rawValue), \(bind: item.jurisdiction), \
        \(bind: item.confidence), \(bind: item.firstSeen.milliseconds), \(bind: item.lastSeen.milliseconds), \
        \(bind: item.isReport ? 1 : 0), \(bind: item.derived ? 1 : 0))
        """
    }

    public func record(id: String) async throws -> StoredRecord? {
        let rows = try await reader.raw("SELECT \(unsafeRaw: Self.recordColumns) FROM records WHERE id = \(bind: id)").all()
        return try rows.first.map(Self.storedRecord)
    }

    public func records(_ query: RecordQuery) async throws -> [StoredRecord] {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.recordColumns) FROM records WHERE seq > \(bind: query.after)"
        if let kind = query.kind { sql += " AND kind = \(bind: kind.rawValue)" }
        if let origin = query.origin { sql += " AND origin = \(bind: origin)" }
        sql += " ORDER BY seq LIMIT \(bind: max(0, query.limit))"
        return try await reader.raw(sql).all().map(Self.storedRecord)
    }

    public func lastSequence() async throws -> Int64 {
        let row = try await reader.raw("SELECT COALESCE(MAX(seq), 0) AS last FROM records").first()
        return try row?.decode(column: "last", as: Int64.self) ?? 0
    }

    static func storedRecord(_ row: any SQLRow) throws -> StoredRecord {
        let id = try row.decode(column: "id", as: String.self)
        let content = try row.decode(column: "content", as: String.self)
        let signatureText = try row.decode(column: "signature", as: String.self)
        // Records were verified or signed before they were stored; reading them back re-checks them so that
        // a tampered database never serves a forged record.
        let record = try Record.verified(
            id: id, canonical: Data(content.utf8), signature: ByteText.fromBase64url(signatureText) ?? Data())
        return StoredRecord(
            sequence: try row.decode(column: "seq", as: Int64.self),
            record: record,
            received: Timestamp(milliseconds: try row.decode(column: "received_ms", as: Int64.self)),
            retractedBy: try row.decode(column: "retracted_by", as: String?.self)
        )
    }

    static let identifierSelect = """
        SELECT ri.kind, ri.value, ri.role, ri.typology, ri.jurisdiction, ri.confidence, ri.first_seen_ms, \
        ri.last_seen_ms, ri.is_report, ri.derived, CASE WHEN r.retracted_by IS NULL THEN 0 ELSE 1 END AS retracted \
        FROM record_identifiers ri JOIN records r ON r.seq = ri.record_seq WHERE r.exercise = 0
        """

    public func forEachIndexedIdentifierPage(
        through last: Int64, _ body: ([(IndexedIdentifier, retracted: Bool)]) -> Void
    ) async throws -> Int {
        // Read in pages by record sequence so that neither engine holds one huge result in memory.
        var after: Int64 = 0
        var total = 0
        while after < last {
            let upTo = min(after + 50_000, last)
            let rows = try await reader.raw(
                "\(unsafeRaw: Self.identifierSelect) AND ri.record_seq > \(bind: after) AND ri.record_seq <= \(bind: upTo)"
            ).all()
            let page = rows.compactMap { try? Self.indexedIdentifier($0) }
            total += page.count
            body(page)
            after = upTo
        }
        return total
    }

    public func indexedIdentifiers(naming identifier: Identifier) async throws -> [(IndexedIdentifier, retracted: Bool)] {
        let rows = try await reader.raw(
            "\(unsafeRaw: Self.identifierSelect) AND ri.kind = \(bind: identifier.kind.rawValue) AND ri.value = \(bind: identifier.canonical)"
        ).all()
        return try rows.map(Self.indexedIdentifier)
    }

    public func liveIndicators(origin: String, naming identifiers: [Identifier]) async throws -> [HeldIndicator] {
        var found: [HeldIndicator] = []
        let byKind = Dictionary(grouping: identifiers, by: \.kind)
        for (kind, items) in byKind.sorted(by: { $0.key.ordinal < $1.key.ordinal }) {
            for chunk in Array(Set(items.map(\.canonical))).chunked(into: 500) {
                let values = chunk.map { $0 as any Encodable & Sendable }
                let rows = try await reader.raw(
                    """
                    SELECT ri.value, ri.typology, ri.confidence, ri.last_seen_ms, r.id FROM record_identifiers ri JOIN records r ON r.seq = ri.record_seq \
                    WHERE ri.kind = \(bind: kind.rawValue) AND ri.value IN (\(binds: values)) AND ri.derived = 0 \
                    AND r.origin = \(bind: origin) AND r.kind = 'indicator' AND r.retracted_by IS NULL
                    """
                ).all()
                for row in rows {
                    found.append(
                        HeldIndicator(
                            identifier: Identifier(kind: kind, canonical: try row.decode(column: "value", as: String.self)),
                            typology: try row.decode(column: "typology", as: String?.self).flatMap(Typology.init(rawValue:)),
                            confidence: try row.decode(column: "confidence", as: Int?.self),
                            lastSeen: Timestamp(milliseconds: try row.decode(column: "last_seen_ms", as: Int64.self)),
                            recordID: try row.decode(column: "id", as: String.self)))
                }
            }
        }
        return found
    }

    static func indexedIdentifier(_ row: any SQLRow) throws -> (IndexedIdentifier, retracted: Bool) {
        let kindText = try row.decode(column: "kind", as: String.self)
        guard let kind = IdentifierKind(rawValue: kindText) else {
            throw StoreError.corrupt("unknown identifier kind \(kindText)")
        }
        let item = IndexedIdentifier(
            identifier: Identifier(kind: kind, canonical: try row.decode(column: "value", as: String.self)),
            role: try row.decode(column: "role", as: String?.self).flatMap(IdentifierRole.init(rawValue:)),
            typology: try row.decode(column: "typology", as: String?.self).flatMap(Typology.init(rawValue:)),
            jurisdiction: try row.decode(column: "jurisdiction", as: String?.self),
            confidence: try row.decode(column: "confidence", as: Int?.self),
            firstSeen: Timestamp(milliseconds: try row.decode(column: "first_seen_ms", as: Int64.self)),
            lastSeen: Timestamp(milliseconds: try row.decode(column: "last_seen_ms", as: Int64.self)),
            isReport: try row.decode(column: "is_report", as: Int.self) != 0,
            derived: try row.decode(column: "derived", as: Int.self) != 0
        )
        return (item, try row.decode(column: "retracted", as: Int.self) != 0)
    }

    // MARK: - Tokens

    public func addToken(id: String, hash: String, role: TokenRole, label: String) async throws -> APIToken {
        let now = Timestamp.now()
        try await transaction { db in
            try await db.raw(
                """
                INSERT INTO api_tokens (id, hash, role, label, created_ms) \
                VALUES (\(bind: id), \(bind: hash), \(bind: role.rawValue), \(bind: label), \(bind: now.milliseconds))
                """
            ).run()
        }
        return APIToken(id: id, role: role, label: label, created: now, revoked: nil)
    }

    public func token(hash: String) async throws -> APIToken? {
        try await reader.raw(
            "SELECT id, role, label, created_ms, revoked_ms FROM api_tokens WHERE hash = \(bind: hash) AND revoked_ms IS NULL"
        ).all().first.map(Self.apiToken)
    }

    public func tokens() async throws -> [APIToken] {
        try await reader.raw("SELECT id, role, label, created_ms, revoked_ms FROM api_tokens ORDER BY created_ms DESC, id")
            .all().map(Self.apiToken)
    }

    public func revokeToken(id: String) async throws -> Bool {
        let now = Timestamp.now().milliseconds
        return try await transaction { db in
            let rows = try await db.raw(
                "UPDATE api_tokens SET revoked_ms = \(bind: now) WHERE id = \(bind: id) AND revoked_ms IS NULL RETURNING id"
            ).all()
            return !rows.isEmpty
        }
    }

    static func apiToken(_ row: any SQLRow) throws -> APIToken {
        let roleText = try row.decode(column: "role", as: String.self)
        guard let role = TokenRole(rawValue: roleText) else { throw StoreError.corrupt("unknown token role \(roleText)") }
        return APIToken(
            id: try row.decode(column: "id", as: String.self),
            role: role,
            label: try row.decode(column: "label", as: String.self),
            created: Timestamp(milliseconds: try row.decode(column: "created_ms", as: Int64.self)),
            revoked: try row.decode(column: "revoked_ms", as: Int64?.self).map(Timestamp.init(milliseconds:))
        )
    }
}

/// A store that cannot be read as expected.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// A row holds something this version does not understand.
    case corrupt(String)
    /// The schema is newer than this binary.
    case schemaTooNew(found: Int, known: Int)

    public var description: String {
        switch self {
        case .corrupt(let what): "the store holds data this node cannot read: \(what)"
        case .schemaTooNew(let found, let known):
            "the store's schema is version \(found), newer than this binary knows (\(known)); upgrade concord"
        }
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
