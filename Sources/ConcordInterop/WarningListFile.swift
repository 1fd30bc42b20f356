import ConcordCore
import Foundation

/// Reads an operator's warning list: identifier keys that must never link reports into campaigns.
///
/// Two forms: text, one `kind:canonical` key a line (`#` starts a comment), values normalised as a report's
/// would be; or the polkadot-js phishing list's `all.json`, whose `allow` entries (shared hosting and dynamic
/// DNS suffixes such as `herokuapp.com` or `ddns.net`) become `domain:` keys. An `allow` entry that is itself a
/// public suffix (`github.io`) is skipped: names under it are registered by their owners and may link.
public enum WarningListFile {
    /// The keys in the file at `path`.
    /// - Throws: `ImportError` naming the line that is not a key.
    public static func read(path: String) throws -> Set<String> {
        guard let data = FileManager.default.contents(atPath: path) else { throw ImportError.unreadable(path, "cannot be read") }
        if let json = try? JSONValue.parse(data), let allow = json["allow"]?.arrayValue {
            var keys = Set<String>()
            for entry in allow {
                guard var text = entry.stringValue else { continue }
                if text.hasPrefix("*.") { text.removeFirst(2) }
                if let domain = try? WebAddressNormalizer.normalizeDomain(text) { keys.insert("domain:" + domain) }
            }
            return keys
        }
        let text = String(decoding: data, as: UTF8.self)
        var keys = Set<String>()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = (raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            guard let colon = line.firstIndex(of: ":"), let kind = IdentifierKind(rawValue: String(line[..<colon])) else {
                throw ImportError.unreadable(path, "line \(n + 1): \"\(line)\" is not kind:value (e.g. phone:+6621234567)")
            }
            do {
                let identifier = try Identifier.normalize(kind: kind, value: String(line[line.index(after: colon)...]))
                keys.insert(kind.rawValue + ":" + identifier.canonical)
            } catch {
                throw ImportError.unreadable(path, "line \(n + 1): \(error.reason)")
            }
        }
        return keys
    }
}
