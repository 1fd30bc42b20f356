public import ConcordCore

/// Campaign alerts a node raised, kept so that analysts still see them after a restart.
extension SQLStore {
    /// Stores one alert under its sequence number (a second write of the same number is ignored).
    public func saveAlert(sequence: Int, raised: Timestamp, body: JSONValue) async throws {
        _ = try await transaction { _ in
            try await rawWriter.rows(
                "INSERT INTO alerts (seq, raised_ms, body) VALUES (?, ?, ?) ON CONFLICT (seq) DO NOTHING",
                [
                    .integer(Int64(sequence)), .integer(raised.milliseconds),
                    .text(String(decoding: body.canonicalData, as: UTF8.self)),
                ]
            )
        }
    }

    /// The newest `limit` alerts, oldest first.
    public func recentAlerts(limit: Int) async throws -> [JSONValue] {
        let rows = try await rawReader.rows("SELECT body FROM alerts ORDER BY seq DESC LIMIT ?", [.integer(Int64(limit))])
        return rows.reversed().compactMap { row in row.first?.text.flatMap { try? JSONValue.parse(Array($0.utf8)) } }
    }
}
