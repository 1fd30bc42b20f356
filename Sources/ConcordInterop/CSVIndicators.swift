public import ConcordCore
import Foundation

/// Reads indicators from CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF) with a header row.
///
/// Columns are named as the NDJSON fields (`kind`, `value`, `region`, `chain`, `platform`, `bank`,
/// `typology`, `confidence`, `first_seen`, `last_seen`, `valid_until`, `jurisdiction`, `description`,
/// `tlp`); `kind` and `value` are required. Each row becomes one indicator input.
public enum CSVIndicators {
    static let known: Set<String> = [
        "kind", "value", "region", "chain", "platform", "bank", "typology", "confidence", "first_seen", "last_seen",
        "valid_until", "jurisdiction", "description", "tlp",
    ]

    /// Parses CSV text into indicator inputs, one per data row, with their 1-based line numbers.
    /// - Throws: `ImportError.badHeader` when the header lacks `kind` or `value` or names an unknown column.
    public static func parse(_ text: String) throws -> [(line: Int, input: JSONValue)] {
        let rows = records(text)
        guard
            let header = rows.first?.fields.map({
                $0.trimmingCharacters(in: CharacterSet(charactersIn: " \u{FEFF}")).lowercased()
            })
        else { return [] }
        for name in header where !known.contains(name) {
            throw ImportError.badHeader("names an unknown column \"\(name)\"; known: \(known.sorted().joined(separator: ", "))")
        }
        guard header.contains("kind"), header.contains("value") else {
            throw ImportError.badHeader("must name at least the columns kind and value")
        }
        var out: [(Int, JSONValue)] = []
        for row in rows.dropFirst() {
            if row.fields.count == 1 && row.fields[0].isEmpty { continue }
            var members: [String: JSONValue] = [:]
            for (name, field) in zip(header, row.fields) where !field.isEmpty {
                if name == "confidence", let n = Int64(field) {
                    members[name] = .integer(n)
                } else {
                    members[name] = .string(field)
                }
            }
            out.append((row.line, .object(members)))
        }
        return out
    }

    struct Row {
        let line: Int
        let fields: [String]
    }

    static func records(_ text: String) -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var rowLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pendingQuote = false
        while let c = iterator.next() {
            if inQuotes {
                if pendingQuote {
                    pendingQuote = false
                    if c == "\"" {
                        field.unicodeScalars.append(c)
                        continue
                    }
                    inQuotes = false
                } else if c == "\"" {
                    pendingQuote = true
                    continue
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                    continue
                }
            }
            switch c {
            case "\"" where field.isEmpty: inQuotes = true
            case ",":
                fields.append(field)
                field = ""
            case "\r": continue
            case "\n":
                fields.append(field)
                rows.append(Row(line: rowLine, fields: fields))
                fields = []
                field = ""
                line += 1
                rowLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            rows.append(Row(line: rowLine, fields: fields))
        }
        return rows
    }
}
