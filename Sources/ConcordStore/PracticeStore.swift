public import ConcordCore
import Foundation

/// A practice library entry found by a search.
public struct PracticeHit: Sendable, Equatable {
    public let recordID: String
    /// Higher is better; comparable within one search only.
    public let rank: Double
}

extension SQLStore {
    /// The text a practice record is searched by: title, body, and its tags (kind, factors, typologies, language).
    static func practiceDocument(_ record: Record) -> (title: String, text: String, tags: String) {
        let b = record.body
        let tags =
            [b["kind"]?.stringValue ?? "", b["language"]?.stringValue ?? ""]
            + (b["factors"]?.arrayValue ?? []).compactMap(\.stringValue)
            + (b["typologies"]?.arrayValue ?? []).compactMap(\.stringValue)
        return (b["title"]?.stringValue ?? "", b["text"]?.stringValue ?? "", tags.joined(separator: " "))
    }

    /// Adds a stored practice record to the full-text index (SQLite FTS5, or a PostgreSQL tsvector).
    func indexPractice(seq: Int64, record: Record) async throws {
        guard record.kind == .practice, !record.exercise else { return }
        let doc = Self.practiceDocument(record)
        switch flavor {
        case .sqlite:
            _ = try await rawWriter.rows(
                "INSERT INTO practice_fts (rowid, title, body, tags) VALUES (?, ?, ?, ?)",
                [.integer(seq), .text(doc.title), .text(doc.text), .text(doc.tags)]
            )
        case .postgres:
            _ = try await rawWriter.rows(
                """
                INSERT INTO practice_search (seq, document) VALUES (?, setweight(to_tsvector('simple', ?), 'A') \
                || setweight(to_tsvector('simple', ?), 'B') || to_tsvector('simple', ?)) ON CONFLICT (seq) DO NOTHING
                """,
                // The same word split as queries get, so that both engines find the same words.
                [
                    .integer(seq), .text(Self.queryWords(doc.title, limit: .max).joined(separator: " ")),
                    .text(Self.queryWords(doc.tags, limit: .max).joined(separator: " ")),
                    .text(Self.queryWords(doc.text, limit: .max).joined(separator: " ")),
                ]
            )
        }
    }

    /// The words of a query, letters and digits only: every one must occur (in any form the tokenizer gives it).
    static func queryWords(_ query: String, limit: Int = 16) -> [String] {
        query.lowercased().split { !($0.isLetter || $0.isNumber) }.prefix(limit).map(String.init).filter { !$0.isEmpty }
    }

    /// Live practice records whose title, text or tags hold every word of `query`, best first.
    public func searchPractices(_ query: String, limit: Int = 50) async throws -> [PracticeHit] {
        let words = Self.queryWords(query)
        guard !words.isEmpty else { return [] }
        let rows: [[SQLValue]]
        switch flavor {
        case .sqlite:
            // Each word quoted, so that nothing in the query is read as FTS5 syntax; bm25 is lower for better.
            let match = words.map { "\"" + $0 + "\"" }.joined(separator: " ")
            rows = try await rawReader.rows(
                """
                SELECT r.id, CAST(-bm25(practice_fts, 5.0, 1.0, 3.0) * 1000000 AS INTEGER) FROM practice_fts JOIN records r ON r.seq = practice_fts.rowid \
                WHERE practice_fts MATCH ? AND r.retracted_by IS NULL ORDER BY bm25(practice_fts, 5.0, 1.0, 3.0) LIMIT ?
                """,
                [.text(match), .integer(Int64(max(1, min(limit, 500))))]
            )
        case .postgres:
            rows = try await rawReader.rows(
                """
                SELECT r.id, (ts_rank(p.document, plainto_tsquery('simple', ?)) * 1000000)::bigint AS rank FROM practice_search p \
                JOIN records r ON r.seq = p.seq WHERE p.document @@ plainto_tsquery('simple', ?) AND r.retracted_by IS NULL \
                ORDER BY rank DESC, r.seq DESC LIMIT ?
                """,
                [
                    .text(words.joined(separator: " ")), .text(words.joined(separator: " ")),
                    .integer(Int64(max(1, min(limit, 500)))),
                ]
            )
        }
        return rows.compactMap { row in
            guard row.count == 2, let id = row[0].text else { return nil }
            return PracticeHit(recordID: id, rank: Double(row[1].integer ?? 0) / 1_000_000)
        }
    }
}
