import ConcordCore
import Logging
import SQLKit

extension SQLStore {
    /// One schema change. Released migrations are never edited: a change is a new migration.
    struct Migration {
        let version: Int
        let sqlite: [String]
        let postgres: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1,
            sqlite: [
                """
                CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, \
                origin TEXT NOT NULL, created_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL, tlp TEXT NOT NULL, \
                exercise INTEGER NOT NULL, content TEXT NOT NULL, signature TEXT NOT NULL, retracted_by TEXT)
                """,
                "CREATE INDEX records_origin ON records (origin, seq)",
                """
                CREATE TABLE record_identifiers (row_id INTEGER PRIMARY KEY AUTOINCREMENT, \
                record_seq INTEGER NOT NULL REFERENCES records (seq), kind TEXT NOT NULL, \
                value TEXT NOT NULL, role TEXT, typology TEXT, jurisdiction TEXT, confidence INTEGER, \
                first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL, is_report INTEGER NOT NULL, \
                derived INTEGER NOT NULL)
                """,
                "CREATE INDEX record_identifiers_key ON record_identifiers (kind, value)",
                "CREATE INDEX record_identifiers_seq ON record_identifiers (record_seq)",
                """
                CREATE TABLE api_tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, \
                label TEXT NOT NULL, created_ms INTEGER NOT NULL, revoked_ms INTEGER)
                """,
            ],
            postgres: [
                """
                CREATE TABLE records (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, \
                origin TEXT NOT NULL, created_ms BIGINT NOT NULL, received_ms BIGINT NOT NULL, tlp TEXT NOT NULL, \
                exercise BIGINT NOT NULL, content TEXT NOT NULL, signature TEXT NOT NULL, retracted_by TEXT)
                """,
                "CREATE INDEX records_origin ON records (origin, seq)",
                """
                CREATE TABLE record_identifiers (row_id BIGSERIAL PRIMARY KEY, \
                record_seq BIGINT NOT NULL REFERENCES records (seq), kind TEXT NOT NULL, \
                value TEXT NOT NULL, role TEXT, typology TEXT, jurisdiction TEXT, confidence BIGINT, \
                first_seen_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL, is_report BIGINT NOT NULL, \
                derived BIGINT NOT NULL)
                """,
                "CREATE INDEX record_identifiers_key ON record_identifiers (kind, value)",
                "CREATE INDEX record_identifiers_seq ON record_identifiers (record_seq)",
                """
                CREATE TABLE api_tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, \
                label TEXT NOT NULL, created_ms BIGINT NOT NULL, revoked_ms BIGINT)
                """,
            ]
        ),
        Migration(
            version: 2,
            sqlite: [
                """
                CREATE TABLE peers (node_id TEXT PRIMARY KEY, url TEXT NOT NULL, public_key TEXT, jurisdiction TEXT, \
                communities TEXT NOT NULL DEFAULT '', added_ms INTEGER NOT NULL, removed_ms INTEGER, \
                cursor INTEGER NOT NULL DEFAULT 0, last_pull_ms INTEGER, last_error TEXT, errors INTEGER NOT NULL DEFAULT 0)
                """,
                "ALTER TABLE records ADD COLUMN hops INTEGER NOT NULL DEFAULT 0",
            ],
            postgres: [
                """
                CREATE TABLE peers (node_id TEXT PRIMARY KEY, url TEXT NOT NULL, public_key TEXT, jurisdiction TEXT, \
                communities TEXT NOT NULL DEFAULT '', added_ms BIGINT NOT NULL, removed_ms BIGINT, \
                cursor BIGINT NOT NULL DEFAULT 0, last_pull_ms BIGINT, last_error TEXT, errors BIGINT NOT NULL DEFAULT 0)
                """,
                "ALTER TABLE records ADD COLUMN hops BIGINT NOT NULL DEFAULT 0",
            ]
        ),
        Migration(
            version: 3,
            sqlite: [
                "CREATE TABLE early_retractions (target TEXT NOT NULL, origin TEXT NOT NULL, retraction TEXT NOT NULL, PRIMARY KEY (target, origin))"
            ],
            postgres: [
                "CREATE TABLE early_retractions (target TEXT NOT NULL, origin TEXT NOT NULL, retraction TEXT NOT NULL, PRIMARY KEY (target, origin))"
            ]
        ),
        Migration(
            version: 4,
            sqlite: ["ALTER TABLE peers ADD COLUMN head INTEGER"],
            postgres: ["ALTER TABLE peers ADD COLUMN head BIGINT"]
        ),
        Migration(
            version: 5,
            sqlite: ["CREATE TABLE alerts (seq INTEGER PRIMARY KEY, raised_ms INTEGER NOT NULL, body TEXT NOT NULL)"],
            postgres: ["CREATE TABLE alerts (seq BIGINT PRIMARY KEY, raised_ms BIGINT NOT NULL, body TEXT NOT NULL)"]
        ),
        Migration(
            version: 6,
            sqlite: ["CREATE TABLE seen_nonces (nonce TEXT PRIMARY KEY, created_ms INTEGER NOT NULL)"],
            postgres: ["CREATE TABLE seen_nonces (nonce TEXT PRIMARY KEY, created_ms BIGINT NOT NULL)"]
        ),
        // Check scopes: a checker token sees CLEAR and GREEN records unless it was given a wider scope.
        Migration(
            version: 7,
            sqlite: ["ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'green'"],
            postgres: ["ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'green'"]
        ),
        // People who sign in to the node's pages, and their sessions (only hashes of the session secrets).
        Migration(
            version: 8,
            sqlite: [
                """
                CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, role TEXT NOT NULL, \
                password TEXT NOT NULL, created_ms INTEGER NOT NULL, failures INTEGER NOT NULL DEFAULT 0, \
                locked_until_ms INTEGER, disabled_ms INTEGER)
                """,
                """
                CREATE TABLE sessions (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, csrf TEXT NOT NULL, \
                created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL)
                """,
                "CREATE INDEX sessions_user ON sessions (user_id)",
            ],
            postgres: [
                """
                CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, role TEXT NOT NULL, \
                password TEXT NOT NULL, created_ms BIGINT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, \
                locked_until_ms BIGINT, disabled_ms BIGINT)
                """,
                """
                CREATE TABLE sessions (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, csrf TEXT NOT NULL, \
                created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL)
                """,
                "CREATE INDEX sessions_user ON sessions (user_id)",
            ]
        ),
        // Indicators expire: the check index needs each one's valid_until without reading the record.
        Migration(
            version: 9,
            sqlite: ["ALTER TABLE record_identifiers ADD COLUMN valid_until_ms INTEGER"],
            postgres: ["ALTER TABLE record_identifiers ADD COLUMN valid_until_ms BIGINT"]
        ),
        // What the public page receives waits here for an analyst; it holds no client address.
        Migration(
            version: 10,
            sqlite: [
                """
                CREATE TABLE triage (id TEXT PRIMARY KEY, kind TEXT NOT NULL, received_ms INTEGER NOT NULL, \
                status TEXT NOT NULL, body TEXT NOT NULL, decided_ms INTEGER, decided_by TEXT, record_id TEXT, note TEXT)
                """,
                "CREATE INDEX triage_status ON triage (status, received_ms)",
            ],
            postgres: [
                """
                CREATE TABLE triage (id TEXT PRIMARY KEY, kind TEXT NOT NULL, received_ms BIGINT NOT NULL, \
                status TEXT NOT NULL, body TEXT NOT NULL, decided_ms BIGINT, decided_by TEXT, record_id TEXT, note TEXT)
                """,
                "CREATE INDEX triage_status ON triage (status, received_ms)",
            ]
        ),
        // Indicators stored before migration 9 get their valid_until from the record, so that they expire too.
        Migration(
            version: 11,
            sqlite: [
                """
                UPDATE record_identifiers SET valid_until_ms = (SELECT CAST(ROUND((julianday(json_extract(r.content, \
                '$.body.valid_until')) - 2440587.5) * 86400000.0) AS INTEGER) FROM records r \
                WHERE r.seq = record_identifiers.record_seq AND r.kind = 'indicator') \
                WHERE valid_until_ms IS NULL AND is_report = 0
                """
            ],
            postgres: [
                """
                UPDATE record_identifiers ri SET valid_until_ms = (EXTRACT(EPOCH FROM \
                (((r.content::jsonb)->'body'->>'valid_until')::timestamptz)) * 1000)::bigint FROM records r \
                WHERE r.seq = ri.record_seq AND r.kind = 'indicator' AND ri.valid_until_ms IS NULL \
                AND ri.is_report = 0 AND ((r.content::jsonb)->'body'->>'valid_until') IS NOT NULL
                """
            ]
        ),
        // The practice library's full-text index: FTS5 in SQLite, a weighted tsvector with a GIN index in PostgreSQL.
        Migration(
            version: 12,
            sqlite: [
                "CREATE VIRTUAL TABLE practice_fts USING fts5(title, body, tags, tokenize = 'unicode61 remove_diacritics 2')"
            ],
            postgres: [
                "CREATE TABLE practice_search (seq BIGINT PRIMARY KEY, document tsvector NOT NULL)",
                "CREATE INDEX practice_search_document ON practice_search USING GIN (document)",
            ]
        ),
        // Exercise records by kind, for running and scoring joint exercises without reading every live record.
        Migration(
            version: 13,
            sqlite: ["CREATE INDEX records_exercise ON records (kind, seq) WHERE exercise = 1"],
            postgres: ["CREATE INDEX records_exercise ON records (kind, seq) WHERE exercise = 1"]
        ),
    ]

    /// Applies every migration newer than the store's schema, each in its own transaction.
    func migrate() async throws {
        try await writer.raw(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)"
        ).run()
        try await transaction { db in
            let row = try await db.raw("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations").first()
            let current = try row?.decode(column: "v", as: Int.self) ?? 0
            let known = Self.migrations.last?.version ?? 0
            if current > known { throw StoreError.schemaTooNew(found: current, known: known) }
            for migration in Self.migrations where migration.version > current {
                for statement in flavor == .sqlite ? migration.sqlite : migration.postgres {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.raw(
                    "INSERT INTO schema_migrations (version, applied_ms) VALUES (\(bind: migration.version), \(bind: Timestamp.now().milliseconds))"
                ).run()
                logger.info("store migrated", metadata: ["store.schema_version": "\(migration.version)"])
            }
        }
    }
}
