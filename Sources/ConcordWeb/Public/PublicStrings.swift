import ConcordCore
import Foundation

/// The public page's words in each language it speaks, read from `Resources/public/<code>.json`.
struct PublicStrings: Sendable {
    /// Language codes in the order the page lists them; English first, the fallback for any missing word.
    static let languages = ["en", "th", "ms", "fil", "fr"]

    let tables: [String: [String: String]]

    static func load() throws -> PublicStrings {
        guard let folder = Bundle.module.url(forResource: "public", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        var tables: [String: [String: String]] = [:]
        for code in languages {
            let data = try Data(contentsOf: folder.appendingPathComponent(code + ".json"))
            guard let members = try JSONValue.parse(data).objectValue else { throw CocoaError(.fileReadCorruptFile) }
            tables[code] = members.compactMapValues(\.stringValue)
        }
        return PublicStrings(tables: tables)
    }

    /// Every word of `language`, English where it lacks one, with `{organisation}` filled in.
    func table(_ language: String, organisation: String) -> [String: String] {
        var words = tables["en"] ?? [:]
        for (key, value) in tables[language] ?? [:] { words[key] = value }
        return words.mapValues { $0.replacingOccurrences(of: "{organisation}", with: organisation) }
    }

    /// The language to answer in: the one asked for by `lang`, else the first of `Accept-Language` spoken
    /// here, else English. Tagalog (`tl`) is answered in Filipino.
    static func choose(query: String?, acceptLanguage: String?) -> String {
        func spoken(_ tag: String) -> String? {
            let primary = tag.split(separator: "-").first.map { $0.lowercased() } ?? ""
            if primary == "tl" { return "fil" }
            return languages.contains(primary) ? primary : nil
        }
        if let query, let code = spoken(query) { return code }
        let ranked = (acceptLanguage ?? "").split(separator: ",").compactMap { part -> (String, Double)? in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first, !tag.isEmpty else { return nil }
            let q = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return (tag, q)
        }
        for (tag, q) in ranked.sorted(by: { $0.1 > $1.1 }) where q > 0 {
            if let code = spoken(tag) { return code }
        }
        return "en"
    }
}
