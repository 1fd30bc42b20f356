import Foundation

/// One problem with one field of some input, located by its JSON pointer (RFC 6901).
public struct FieldIssue: Sendable, Equatable, Codable {
    /// JSON pointer of the offending field, e.g. `/identifiers/1/value`; empty for the whole document.
    public let pointer: String
    /// What is wrong, for a person.
    public let detail: String

    /// Creates an issue at `pointer`.
    public init(pointer: String, detail: String) {
        self.pointer = pointer
        self.detail = detail
    }
}

/// Input that cannot be accepted, with every problem found.
public struct InputError: Error, Sendable, Equatable {
    /// The problems, in document order; never empty.
    public let issues: [FieldIssue]

    /// Creates an error with one issue.
    public init(pointer: String, detail: String) {
        issues = [FieldIssue(pointer: pointer, detail: detail)]
    }

    /// Creates an error with several issues.
    public init(issues: [FieldIssue]) {
        self.issues = issues
    }

    /// The first issue's detail, or a summary when there are several.
    public var summary: String {
        guard let first = issues.first else { return "the input is not valid" }
        if issues.count == 1 { return first.pointer.isEmpty ? first.detail : "\(first.pointer): \(first.detail)" }
        return "\(issues.count) fields are not valid; first \(first.pointer): \(first.detail)"
    }
}

/// Escapes a member name for use in a JSON pointer.
func pointerToken(_ key: String) -> String {
    key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
}

/// Walks an input object, collecting issues with their pointers instead of stopping at the first.
struct FieldReader {
    let object: [String: JSONValue]
    let base: String
    var issues: [FieldIssue] = []

    init(_ value: JSONValue, at base: String = "") {
        self.object = value.objectValue ?? [:]
        self.base = base
        if value.objectValue == nil {
            issues.append(FieldIssue(pointer: base, detail: "expected an object, got \(value.typeName)"))
        }
    }

    func pointer(_ key: String) -> String { base + "/" + pointerToken(key) }

    mutating func fail(_ key: String, _ detail: String) {
        issues.append(FieldIssue(pointer: pointer(key), detail: detail))
    }

    mutating func string(_ key: String, required: Bool = false, maxLength: Int = 256) -> String? {
        guard let value = object[key], value != .null else {
            if required { fail(key, "is required") }
            return nil
        }
        guard let s = value.stringValue else {
            fail(key, "expected a string, got \(value.typeName)")
            return nil
        }
        if s.utf8.count > maxLength {
            fail(key, "is longer than \(maxLength) bytes")
            return nil
        }
        // Stored text is read by SQLite, PostgreSQL and every peer's admission, which refuses U+0000: a report
        // or retraction holding one would be stored here and never reach a peer.
        if s.utf8.contains(0) {
            fail(key, "holds a NUL character (U+0000)")
            return nil
        }
        return s
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int64>) -> Int64? {
        guard let value = object[key], value != .null else { return nil }
        guard let i = value.integerValue else {
            fail(key, "expected a whole number, got \(value.typeName)")
            return nil
        }
        guard range.contains(i) else {
            fail(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return i
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let b) = value else {
            fail(key, "expected true or false, got \(value.typeName)")
            return nil
        }
        return b
    }

    mutating func timestamp(_ key: String) -> Timestamp? {
        guard let s = string(key, maxLength: 64) else { return nil }
        guard let t = Timestamp(rfc3339: s) else {
            fail(key, "expected a date (YYYY-MM-DD) or an RFC 3339 time, got \"\(s)\"")
            return nil
        }
        return t
    }

    mutating func jurisdiction(_ key: String) -> String? {
        guard let s = string(key, maxLength: 8) else { return nil }
        guard let code = Jurisdiction.normalize(s) else {
            fail(key, "\"\(s)\" is not an ISO 3166-1 alpha-2 country code")
            return nil
        }
        return code
    }

    mutating func stringList(_ key: String, maxCount: Int = 256) -> [String]? {
        guard let value = object[key], value != .null else { return nil }
        guard let items = value.arrayValue else {
            fail(key, "expected an array of strings, got \(value.typeName)")
            return nil
        }
        guard items.count <= maxCount else {
            fail(key, "has more than \(maxCount) entries")
            return nil
        }
        var out: [String] = []
        for (n, item) in items.enumerated() {
            guard let s = item.stringValue, !s.isEmpty, s.utf8.count <= 128 else {
                issues.append(
                    FieldIssue(pointer: pointer(key) + "/\(n)", detail: "expected a non-empty string of at most 128 bytes")
                )
                continue
            }
            out.append(s)
        }
        return out
    }

    /// Rejects members that are not in `known`, so that typos do not pass silently.
    mutating func rejectUnknown(_ known: Set<String>) {
        for key in object.keys.sorted() where !known.contains(key) {
            fail(key, "is not a known field")
        }
    }
}
