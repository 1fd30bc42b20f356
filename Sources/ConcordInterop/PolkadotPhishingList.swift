public import ConcordCore
import Foundation

/// Reads the deny-list format of the polkadot-js phishing list: `all.json` (`allow`, `deny`, `denySub`),
/// `address.json` (`{"site or campaign": ["address", ...]}`) and `dated.jsonl` (`{"date", "domain"}` a line).
///
/// Each deny entry becomes an indicator input: a phishing domain or a scam wallet. Wildcards (`*.x.com`)
/// become the domain they cover; the `allow` suffixes are returned apart as a warning list, never flagged.
public struct PolkadotPhishingList: Sendable {
    /// Indicator inputs, as the bulk import reads them.
    public var indicators: [JSONValue] = []
    /// Shared hosting suffixes that must never be flagged as a whole.
    public var allow: [String] = []

    /// Reads a file (`all.json`, `address.json` or `dated.jsonl`) or a directory holding them.
    /// - Parameters:
    ///   - path: the file or directory.
    ///   - typology: the typology recorded for every entry.
    ///   - confidence: the confidence recorded for every entry.
    /// - Throws: `ImportError` when a file is not in the expected format.
    public init(path: String, typology: Typology = .phishing, confidence: Int = 80) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImportError.unreadable(path, "no such file or directory")
        }
        let base = URL(fileURLWithPath: path)
        var dates: [String: String] = [:]
        let files: [URL] =
            isDirectory.boolValue
            ? ["dated.jsonl", "all.json", "address.json"].map { base.appendingPathComponent($0) }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
            : [base]
        for file in files {
            let data: Data
            do { data = try Data(contentsOf: file) } catch { throw ImportError.unreadable(file.path, "cannot be read") }
            switch file.lastPathComponent {
            case let name where name.hasSuffix(".jsonl"):
                for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                    guard let item = try? JSONValue.parse(line), let domain = item["domain"]?.stringValue,
                        let date = item["date"]?.stringValue
                    else { continue }
                    let key = Self.bareDomain(domain)
                    if let known = dates[key], known <= date { continue }
                    dates[key] = date
                }
                if !isDirectory.boolValue {
                    for (domain, date) in dates.sorted(by: { $0.key < $1.key }) {
                        indicators.append(Self.domainIndicator(domain, firstSeen: date, typology, confidence))
                    }
                }
            default:
                let json: JSONValue
                do { json = try JSONValue.parse(data) } catch { throw ImportError.unreadable(file.path, "is not JSON") }
                if let deny = json["deny"]?.arrayValue {
                    allow = (json["allow"]?.arrayValue ?? []).compactMap(\.stringValue)
                    let subs = json["denySub"]?.arrayValue ?? []
                    for entry in deny + subs {
                        guard let domain = entry.stringValue else { continue }
                        let key = Self.bareDomain(domain)
                        indicators.append(Self.domainIndicator(key, firstSeen: dates[key], typology, confidence))
                    }
                } else if let campaigns = json.objectValue {
                    for (campaign, addresses) in campaigns.sorted(by: { $0.key < $1.key }) {
                        for address in addresses.arrayValue ?? [] {
                            guard let text = address.stringValue else { continue }
                            let chain = text.hasPrefix("0x") ? "ethereum" : "polkadot"
                            indicators.append(
                                .object([
                                    "kind": .string("wallet"), "value": .string(text), "chain": .string(chain),
                                    "typology": .string(typology.rawValue), "confidence": .integer(Int64(confidence)),
                                    "description": .string(String(campaign.prefix(200))),
                                ])
                            )
                        }
                    }
                } else {
                    throw ImportError.unreadable(file.path, "is neither a deny list nor an address list")
                }
            }
        }
    }

    static func bareDomain(_ raw: String) -> String {
        var d = raw.trimmingCharacters(in: .whitespaces)
        while d.hasPrefix("*.") { d.removeFirst(2) }
        return d
    }

    static func domainIndicator(_ domain: String, firstSeen: String?, _ typology: Typology, _ confidence: Int) -> JSONValue {
        var members: [String: JSONValue] = [
            "kind": .string("domain"), "value": .string(domain), "typology": .string(typology.rawValue),
            "confidence": .integer(Int64(confidence)),
        ]
        if let firstSeen { members["first_seen"] = .string(firstSeen) }
        return .object(members)
    }
}

/// A file that cannot be imported.
public enum ImportError: Error, Sendable, CustomStringConvertible {
    case unreadable(String, String)
    case badHeader(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let why): "\(path) \(why)"
        case .badHeader(let why): "the CSV header \(why)"
        }
    }
}
