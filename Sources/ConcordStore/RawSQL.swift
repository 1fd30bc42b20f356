import Logging
import NIOCore
import PostgresNIO
import SQLiteNIO

/// A value bound to or read from a statement on the hot paths (bulk append, index load), where SQLKit's
/// Codable-based binding costs more than the database itself.
enum SQLValue: Sendable, Equatable {
    case integer(Int64)
    case text(String)
    case null

    init(_ text: String?) { self = text.map(SQLValue.text) ?? .null }
    init(_ number: Int?) { self = number.map { .integer(Int64($0)) } ?? .null }
    init(_ number: Int64) { self = .integer(number) }

    var text: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    var integer: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }
}

/// A connection that runs SQL with `?` placeholders and plain values, on either engine.
protocol RawSQLConnection: Sendable {
    func rows(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]]
}

struct SQLiteRawConnection: RawSQLConnection {
    let connection: SQLiteConnection

    func rows(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
        let data: [SQLiteData] = binds.map {
            switch $0 {
            case .integer(let i): .integer(Int(i))
            case .text(let s): .text(s)
            case .null: .null
            }
        }
        return try await connection.query(sql, data).map { row in
            row.columns.map { column in
                switch column.data {
                case .integer(let i): .integer(Int64(i))
                case .text(let s): .text(s)
                case .float(let d): .integer(Int64(d))
                case .blob(let b): .text(String(buffer: b))
                case .null: .null
                }
            }
        }
    }
}

struct PostgresRawConnection: RawSQLConnection {
    let connection: PostgresConnection
    let logger: Logger

    func rows(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
        // `?` placeholders become `$1`, `$2`, ...: the statements on this path hold no other question marks.
        var numbered = ""
        numbered.reserveCapacity(sql.utf8.count + binds.count * 3)
        var n = 0
        for ch in sql {
            if ch == "?" {
                n += 1
                numbered += "$\(n)"
            } else {
                numbered.append(ch)
            }
        }
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .integer(let i): bindings.append(i)
            case .text(let s): bindings.append(s)
            case .null: bindings.appendNull()
            }
        }
        var out: [[SQLValue]] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: numbered, binds: bindings), logger: logger) {
            var values: [SQLValue] = []
            for cell in row {
                guard cell.bytes != nil else {
                    values.append(.null)
                    continue
                }
                switch cell.dataType {
                case .int2, .int4, .int8: values.append(.integer(try cell.decode(Int64.self)))
                default: values.append(.text(try cell.decode(String.self)))
                }
            }
            out.append(values)
        }
        return out
    }
}
