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
    /// The same two connections, for the hot statements that bind plain values.
    let rawWriter: any RawSQLConnection
    let rawReader: any RawSQLConnection
    let logger: Logger
    private let writeLock = AsyncLock()
    private let closeConnections: @Sendable () async -> Void

    private init(
        flavor: Flavor,
        writer: any SQLDatabase,
        reader: any SQLDatabase,
        rawWriter: any RawSQLConnection,
        rawReader: any RawSQLConnection,
        logger: Logger,
        close: @escaping @Sendable () async -> Void
    ) {
        self.flavor = flavor
        self.writer = writer
        self.reader = reader
        self.rawWriter = rawWriter
        self.rawReader = rawReader
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
                for pragma in [
                    "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000", "PRAGMA cache_size=-65536",
                ] {
                    _ = try await w.query(pragma)
                }
                r = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                _ = try await r.query("PRAGMA busy_timeout=10000")
            } catch {
                try? await w.close()
                throw error
            }
            store = SQLStore(
                flavor: .sqlite,
                writer: w.sql(),
                reader: r.sql(),
                rawWriter: SQLiteRawConnection(connection: w),
                rawReader: SQLiteRawConnection(connection: r),
                logger: logger,
                close: {
                    try? await r.close()
                    try? await w.close()
                }
            )
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
                flavor: .postgres,
                writer: w.sql(),
                reader: r.sql(),
                rawWriter: PostgresRawConnection(connection: w, logger: logger),
                rawReader: PostgresRawConnection(connection: r, logger: logger),
                logger: logger,
                close: {
                    try? await r.close()
                    try? await w.close()
                }
            )
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
        "seq, id, kind, origin, created_ms, received_ms, tlp, exercise, content, signature, retracted_by, hops"

    /// Appends this node's own records.
    public func append(_ records: [Record]) async throws -> [AppendOutcome] {
        try await append(records, receipt: nil)
    }

    public func append(_ records: [Record], receipt: Receipt?) async throws -> [AppendOutcome] {
        try await appendNotingRetracted(records, receipt: receipt).outcomes
    }

    public func appendNotingRetracted(
        _ records: [Record],
        receipt: Receipt?
    ) async throws -> (
        outcomes: [AppendOutcome], retractedOnArrival: Set<String>
    ) {
        guard !records.isEmpty || receipt != nil else { return ([], []) }
        let now = Timestamp.now().milliseconds
        let hops = receipt?.hops ?? []
        return try await transaction { _ in
            var retractedOnArrival = Set<String>()
            if let receipt {
                _ = try await rawWriter.rows(
                    "UPDATE peers SET cursor = ?, head = ?, last_pull_ms = ?, last_error = NULL, errors = 0 WHERE node_id = ?",
                    [.integer(receipt.cursor), receipt.head.map(SQLValue.integer) ?? .null, .integer(now), .text(receipt.peer)]
                )
            }
            var outcomes: [AppendOutcome] = []
            outcomes.reserveCapacity(records.count)
            for chunk in Array(records.enumerated()).chunked(into: 400) {
                // Within a chunk the same id may appear twice: only the first is new.
                var seenInChunk = Set<String>()
                var binds: [SQLValue] = []
                binds.reserveCapacity(chunk.count * 10)
                for (position, record) in chunk where seenInChunk.insert(record.id).inserted {
                    binds += [
                        .integer(Int64(position < hops.count ? hops[position] : 0)),
                        .text(record.id), .text(record.kind.rawValue), .text(record.origin),
                        .integer(record.created.milliseconds),
                        .integer(now), .text(record.label.tlp.rawValue), .integer(record.exercise ? 1 : 0),
                        .text(String(decoding: record.canonical, as: UTF8.self)), .text(ByteText.base64url(record.signature)),
                    ]
                }
                let rows = try await rawWriter.rows(
                    "INSERT INTO records (hops, id, kind, origin, created_ms, received_ms, tlp, exercise, content, signature) VALUES "
                        + Self.placeholders(rows: seenInChunk.count, columns: 10)
                        + " ON CONFLICT (id) DO NOTHING RETURNING seq, id",
                    binds
                )
                var inserted: [String: Int64] = [:]
                for row in rows {
                    guard row.count == 2, let seq = row[0].integer, let id = row[1].text else {
                        throw StoreError.corrupt("the insert did not return (seq, id)")
                    }
                    inserted[id] = seq
                }
                // Retractions that arrived before the records they withdraw, waiting for them.
                var waiting: [String: [(origin: String, retraction: String)]] = [:]
                if !inserted.isEmpty {
                    let targets = Array(inserted.keys)
                    for row in try await rawWriter.rows(
                        "SELECT target, origin, retraction FROM early_retractions WHERE target IN ("
                            + Array(repeating: "?", count: targets.count).joined(separator: ", ") + ")",
                        targets.map { .text($0) }
                    ) {
                        if row.count == 3, let target = row[0].text, let origin = row[1].text, let by = row[2].text {
                            waiting[target, default: []].append((origin, by))
                        }
                    }
                }
                var identifierBinds: [SQLValue] = []
                var identifierRows = 0
                for (_, record) in chunk {
                    guard let seq = inserted.removeValue(forKey: record.id) else {
                        outcomes.append(.duplicate)
                        continue
                    }
                    outcomes.append(.stored(sequence: seq))
                    if let early = waiting[record.id]?.first(where: { $0.origin == record.origin }) {
                        _ = try await rawWriter.rows(
                            "UPDATE records SET retracted_by = ? WHERE seq = ?",
                            [.text(early.retraction), .integer(seq)]
                        )
                        _ = try await rawWriter.rows("DELETE FROM early_retractions WHERE target = ?", [.text(record.id)])
                        retractedOnArrival.insert(record.id)
                    }
                    if record.kind == .practice { try await indexPractice(seq: seq, record: record) }
                    for item in record.indexedIdentifiers {
                        identifierBinds += Self.identifierRow(seq: seq, item: item)
                        identifierRows += 1
                        if identifierRows == 800 {
                            try await insertIdentifierRows(identifierBinds, count: identifierRows)
                            identifierBinds.removeAll(keepingCapacity: true)
                            identifierRows = 0
                        }
                    }
                    if let target = record.retractedRecordID {
                        let marked = try await rawWriter.rows(
                            "UPDATE records SET retracted_by = ? WHERE id = ? AND origin = ? AND retracted_by IS NULL RETURNING seq",
                            [.text(record.id), .text(target), .text(record.origin)]
                        )
                        // Not held yet: remember it, so that the record is withdrawn the moment it arrives.
                        let held =
                            try await marked.isEmpty
                            ? rawWriter.rows("SELECT 1 FROM records WHERE id = ?", [.text(target)]) : marked
                        if held.isEmpty {
                            _ = try await rawWriter.rows(
                                "INSERT INTO early_retractions (target, origin, retraction) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                [.text(target), .text(record.origin), .text(record.id)]
                            )
                        }
                    }
                }
                if identifierRows > 0 { try await insertIdentifierRows(identifierBinds, count: identifierRows) }
            }
            return (outcomes, retractedOnArrival)
        }
    }

    private func insertIdentifierRows(_ binds: [SQLValue], count: Int) async throws {
        _ = try await rawWriter.rows(
            "INSERT INTO record_identifiers (record_seq, kind, value, role, typology, jurisdiction, confidence, first_seen_ms, last_seen_ms, is_report, derived, valid_until_ms) VALUES "
                + Self.placeholders(rows: count, columns: 12),
            binds
        )
    }

    /// `(?, ?, ...), (?, ?, ...)` for a multi-row insert.
    static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    private static func identifierRow(seq: Int64, item: IndexedIdentifier) -> [SQLValue] {
        [
            .integer(seq), .text(item.identifier.kind.rawValue), .text(item.identifier.canonical), SQLValue(item.role?.rawValue),
            SQLValue(item.typology?.rawValue), SQLValue(item.jurisdiction), SQLValue(item.confidence),
            .integer(item.firstSeen.milliseconds), .integer(item.lastSeen.milliseconds), .integer(item.isReport ? 1 : 0),
            .integer(item.derived ? 1 : 0), item.validUntil.map { .integer($0.milliseconds) } ?? .null,
        ]
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
        let check = query.checkSignatures
        return try await reader.raw(sql).all().map { try Self.storedRecord($0, checkSignature: check) }
    }

    /// The exercise records of `kinds` created from `since` to `until`, in log order, signatures not re-checked.
    /// Served by the partial index on exercise records, so a store of live records costs nothing here.
    public func exerciseRecords(
        since: Timestamp,
        until: Timestamp = Timestamp(milliseconds: Int64.max / 2),
        kinds: [RecordKind]
    ) async throws -> [StoredRecord] {
        var out: [StoredRecord] = []
        var after: Int64 = 0
        let names = kinds.map(\.rawValue)
        while true {
            var sql: SQLQueryString = "SELECT \(unsafeRaw: Self.recordColumns) FROM records WHERE exercise = 1 AND kind IN ("
            for (n, name) in names.enumerated() { sql += n == 0 ? "\(bind: name)" : ", \(bind: name)" }
            sql += ") AND seq > \(bind: after) AND created_ms >= \(bind: since.milliseconds)"
            sql += " AND created_ms <= \(bind: until.milliseconds) ORDER BY seq LIMIT 2000"
            let page = try await reader.raw(sql).all().map { try Self.storedRecord($0, checkSignature: false) }
            out += page
            guard let last = page.last, page.count == 2000 else { return out }
            after = last.sequence
        }
    }

    public func lastSequence() async throws -> Int64 {
        let row = try await reader.raw("SELECT COALESCE(MAX(seq), 0) AS last FROM records").first()
        return try row?.decode(column: "last", as: Int64.self) ?? 0
    }

    static func storedRecord(_ row: any SQLRow) throws -> StoredRecord {
        try storedRecord(row, checkSignature: true)
    }

    static func storedRecord(_ row: any SQLRow, checkSignature: Bool) throws -> StoredRecord {
        let id = try row.decode(column: "id", as: String.self)
        let content = try row.decode(column: "content", as: String.self)
        let signatureText = try row.decode(column: "signature", as: String.self)
        // Records were verified or signed before they were stored; reading them back re-checks them so that
        // a tampered database never serves a forged record.
        let record = try Record.verified(
            id: id,
            canonical: Data(content.utf8),
            signature: ByteText.fromBase64url(signatureText) ?? Data(),
            checkSignature: checkSignature
        )
        return StoredRecord(
            sequence: try row.decode(column: "seq", as: Int64.self),
            record: record,
            received: Timestamp(milliseconds: try row.decode(column: "received_ms", as: Int64.self)),
            retractedBy: try row.decode(column: "retracted_by", as: String?.self),
            hops: try row.decode(column: "hops", as: Int.self)
        )
    }

    static let identifierSelect = """
        SELECT ri.kind, ri.value, ri.role, ri.typology, ri.jurisdiction, ri.confidence, ri.first_seen_ms, \
        ri.last_seen_ms, ri.is_report, ri.derived, CASE WHEN r.retracted_by IS NULL THEN 0 ELSE 1 END AS retracted, r.tlp, ri.valid_until_ms \
        FROM record_identifiers ri JOIN records r ON r.seq = ri.record_seq WHERE r.exercise = 0
        """

    public func forEachIndexedIdentifierPage(
        through last: Int64,
        _ body: ([(IndexedIdentifier, retracted: Bool)]) -> Void
    ) async throws -> Int {
        // Read in pages of identifier rows (a record may name a thousand), so that neither engine nor this
        // process holds one huge result in memory.
        var after: Int64 = 0
        var total = 0
        while true {
            let rows = try await rawReader.rows(
                Self.identifierSelect.replacingOccurrences(of: "SELECT ", with: "SELECT ri.row_id, ")
                    + " AND ri.record_seq <= ? AND ri.row_id > ? ORDER BY ri.row_id LIMIT 50000",
                [.integer(last), .integer(after)]
            )
            guard let lastRow = rows.last?.first?.integer else { return total }
            let page = rows.compactMap { Self.indexedIdentifier(Array($0.dropFirst())) }
            total += page.count
            body(page)
            after = lastRow
        }
    }

    public func indexedIdentifiers(naming identifier: Identifier) async throws -> [(IndexedIdentifier, retracted: Bool)] {
        try await rawReader.rows(
            Self.identifierSelect + " AND ri.kind = ? AND ri.value = ?",
            [.text(identifier.kind.rawValue), .text(identifier.canonical)]
        ).compactMap(Self.indexedIdentifier)
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
                            recordID: try row.decode(column: "id", as: String.self)
                        )
                    )
                }
            }
        }
        return found
    }

    /// One row of `identifierSelect`, or nil when it holds something this version does not understand.
    static func indexedIdentifier(_ row: [SQLValue]) -> (IndexedIdentifier, retracted: Bool)? {
        guard row.count == 13, let kind = row[0].text.flatMap(IdentifierKind.init(rawValue:)), let value = row[1].text,
            let first = row[6].integer, let last = row[7].integer, let isReport = row[8].integer, let derived = row[9].integer,
            let retracted = row[10].integer
        else { return nil }
        let item = IndexedIdentifier(
            identifier: Identifier(kind: kind, canonical: value),
            role: row[2].text.flatMap(IdentifierRole.init(rawValue:)),
            typology: row[3].text.flatMap(Typology.init(rawValue:)),
            jurisdiction: row[4].text,
            confidence: row[5].integer.map { Int($0) },
            firstSeen: Timestamp(milliseconds: first),
            lastSeen: Timestamp(milliseconds: last),
            isReport: isReport != 0,
            derived: derived != 0,
            // A level this version does not know is treated as the most restricted.
            tlp: row[11].text.flatMap(TLPLevel.init(rawValue:)) ?? .red,
            validUntil: row[12].integer.map { Timestamp(milliseconds: $0) }
        )
        return (item, retracted != 0)
    }

    // MARK: - Tokens

    public func addToken(id: String, hash: String, role: TokenRole, label: String, scope: CheckScope) async throws -> APIToken {
        let now = Timestamp.now()
        try await transaction { db in
            try await db.raw(
                """
                INSERT INTO api_tokens (id, hash, role, label, created_ms, scope) \
                VALUES (\(bind: id), \(bind: hash), \(bind: role.rawValue), \(bind: label), \(bind: now.milliseconds), \(bind: scope.rawValue))
                """
            ).run()
        }
        return APIToken(id: id, role: role, label: label, created: now, revoked: nil, scope: scope)
    }

    public func token(hash: String) async throws -> APIToken? {
        try await reader.raw(
            "SELECT id, role, label, created_ms, revoked_ms, scope FROM api_tokens WHERE hash = \(bind: hash) AND revoked_ms IS NULL"
        ).all().first.map(Self.apiToken)
    }

    public func tokens() async throws -> [APIToken] {
        try await reader.raw("SELECT id, role, label, created_ms, revoked_ms, scope FROM api_tokens ORDER BY created_ms DESC, id")
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
            revoked: try row.decode(column: "revoked_ms", as: Int64?.self).map(Timestamp.init(milliseconds:)),
            // A scope this version does not know reads as the narrowest.
            scope: CheckScope(rawValue: try row.decode(column: "scope", as: String.self)) ?? .green
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
