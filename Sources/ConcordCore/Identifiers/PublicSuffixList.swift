import Foundation

/// The Public Suffix List (publicsuffix.org): the names under which anyone can register a name,
/// such as `com`, `co.uk` or `github.io`, so that `login.example.co.uk` is known to belong to
/// `example.co.uk`.
///
/// Both the ICANN and the PRIVATE sections are used, with normal rules (`co.uk`), wildcard rules
/// (`*.ck`) and exception rules (`!www.ck`). Rules with Unicode labels are stored in punycode, so
/// they match the canonical hosts `HostName` produces. A look-up walks the host's label suffixes
/// from the right and stops as soon as no rule can match a longer one.
public struct PublicSuffixList: Sendable {
    /// The list shipped with Concord, parsed on first use.
    ///
    /// If the resource cannot be read, the list is empty and every host's public suffix is its
    /// last label (the list's default rule `*`).
    public static let shared: PublicSuffixList = loadBundled()

    /// Normal rules, e.g. `co.uk`.
    private let rules: Set<String>
    /// Wildcard rules without their `*.`, e.g. `ck` for `*.ck`.
    private let wildcards: Set<String>
    /// Exception rules without their `!`, e.g. `www.ck` for `!www.ck`.
    private let exceptions: Set<String>
    /// Every label suffix of every rule (`uk` and `co.uk` for `co.uk`): if a host's suffix is not
    /// here, no rule can match a longer suffix of that host.
    private let stems: Set<String>

    /// The number of rules read, of all three sorts.
    public var ruleCount: Int { rules.count + wildcards.count + exceptions.count }

    /// Parses the text of a public suffix list.
    ///
    /// Each rule is the first word of a line; lines starting with `//` and blank lines are
    /// skipped. Rules with a `*` anywhere but a leading `*.` are ignored.
    /// - Parameter text: the list, in the publicsuffix.org `.dat` format.
    public init(parsing text: String) {
        var rules = Set<String>()
        var wildcards = Set<String>()
        var exceptions = Set<String>()
        var stems = Set<String>()

        let bytes = Array(text.utf8)
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            var wordEnd = lineStart
            while wordEnd < lineEnd, !Self.isSpace(bytes[wordEnd]) { wordEnd += 1 }
            let word = bytes[lineStart..<wordEnd]
            lineStart = lineEnd + 1

            guard !word.isEmpty, !word.starts(with: [UInt8(ascii: "/"), UInt8(ascii: "/")]) else { continue }
            let rule = String(decoding: word, as: UTF8.self)
            if rule.hasPrefix("!") {
                guard let body = Self.asciiRule(rule.dropFirst()), body.contains(".") else { continue }
                exceptions.insert(body)
                Self.addStems(of: body, to: &stems)
            } else if rule.hasPrefix("*.") {
                guard let body = Self.asciiRule(rule.dropFirst(2)) else { continue }
                wildcards.insert(body)
                Self.addStems(of: body, to: &stems)
            } else if let body = Self.asciiRule(Substring(rule)) {
                rules.insert(body)
                Self.addStems(of: body, to: &stems)
            }
        }
        self.rules = rules
        self.wildcards = wildcards
        self.exceptions = exceptions
        self.stems = stems
    }

    /// The public suffix of a host: the part under which names are registered.
    ///
    /// `www.example.co.uk` gives `co.uk`, `foo.github.io` gives `github.io`, and a host under an
    /// unlisted top-level domain gives that domain (the default rule `*`).
    /// - Parameter host: a host name, ideally canonical (`HostName.normalize(_:kind:)`); a
    ///   Unicode, upper-case or trailing-dot host is normalised first.
    /// - Returns: the public suffix, in punycode where the host has Unicode labels; an IP
    ///   address is returned as it is.
    public func publicSuffix(of host: String) -> String {
        let host = Self.prepared(host)
        if Self.isIPAddress(host) { return host }
        let starts = Self.labelStarts(host)
        let count = suffixLabelCount(host, starts: starts)
        return String(host[starts[starts.count - count]...])
    }

    /// The registrable domain of a host: its public suffix plus one more label.
    ///
    /// `www.example.co.uk` gives `example.co.uk`; `foo.github.io` gives `foo.github.io`.
    /// - Parameter host: a host name, as for `publicSuffix(of:)`.
    /// - Returns: the registrable domain, or nil when the host is itself a public suffix or is
    ///   an IP address (`192.0.2.1` has no registrable domain, not `2.1`).
    public func registrableDomain(of host: String) -> String? {
        let host = Self.prepared(host)
        if Self.isIPAddress(host) { return nil }
        let starts = Self.labelStarts(host)
        let count = suffixLabelCount(host, starts: starts)
        guard starts.count > count else { return nil }
        return String(host[starts[starts.count - count - 1]...])
    }

    /// Whether the host is itself a public suffix, such as `co.uk` or `github.io`.
    /// - Parameter host: a host name, as for `publicSuffix(of:)`.
    /// - Returns: true for a public suffix; false for a name under one, and for an IP address.
    public func isPublicSuffix(_ host: String) -> Bool {
        let host = Self.prepared(host)
        if Self.isIPAddress(host) { return false }
        let starts = Self.labelStarts(host)
        return suffixLabelCount(host, starts: starts) >= starts.count
    }

    // MARK: - Matching

    /// How many labels, counted from the right, make the host's public suffix.
    private func suffixLabelCount(_ host: String, starts: [String.Index]) -> Int {
        let labels = starts.count
        var best = 1  // the default rule `*`
        var length = 1
        while length <= labels {
            let suffix = String(host[starts[labels - length]...])
            if exceptions.contains(suffix) {
                // An exception wins over every other rule; its suffix is the rule minus its first label.
                return length - 1
            }
            if rules.contains(suffix) { best = max(best, length) }
            if length < labels, wildcards.contains(suffix) { best = max(best, length + 1) }
            guard stems.contains(suffix) else { break }
            length += 1
        }
        return best
    }

    /// Whether the host is an IP address rather than a name: it has a colon (IPv6) or its last
    /// label is all digits (no top-level domain is).
    private static func isIPAddress(_ host: String) -> Bool {
        var lastLabelIsDigits = !host.isEmpty
        for byte in host.utf8 {
            if byte == UInt8(ascii: ":") { return true }
            if byte == UInt8(ascii: ".") {
                lastLabelIsDigits = true
            } else if byte < UInt8(ascii: "0") || byte > UInt8(ascii: "9") {
                lastLabelIsDigits = false
            }
        }
        return lastLabelIsDigits && host.utf8.last != UInt8(ascii: ".")
    }

    /// Where each label of the host starts.
    private static func labelStarts(_ host: String) -> [String.Index] {
        var starts = [host.startIndex]
        let utf8 = host.utf8
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let next = utf8.index(after: index)
            if utf8[index] == UInt8(ascii: ".") { starts.append(next) }
            index = next
        }
        return starts
    }

    /// The host in canonical ASCII form, falling back to a plain lower-casing when it is not a
    /// valid domain (a lone label such as `com`, say).
    private static func prepared(_ host: String) -> String {
        let isCanonical = host.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        if isCanonical, host.utf8.last != UInt8(ascii: ".") { return host }
        if let normalized = try? HostName.normalize(host) { return normalized }
        var lowered = host.trimmingWhitespace().lowercased()
        while lowered.hasSuffix(".") { lowered.removeLast() }
        return asciiRule(Substring(lowered)) ?? lowered
    }

    // MARK: - Loading

    private static func loadBundled() -> PublicSuffixList {
        guard let url = Bundle.module.url(forResource: "public_suffix_list", withExtension: "dat"),
            let data = try? Data(contentsOf: url)
        else {
            return PublicSuffixList(parsing: "")
        }
        return PublicSuffixList(parsing: String(decoding: data, as: UTF8.self))
    }

    /// A rule in lower-case ASCII, its Unicode labels as `xn--` punycode; nil if it cannot be.
    private static func asciiRule(_ rule: Substring) -> String? {
        guard !rule.isEmpty, !rule.contains("*") else { return nil }
        if rule.utf8.allSatisfy({ $0 < 0x80 }) { return rule.lowercased() }
        var labels: [String] = []
        for label in rule.lowercased().precomposedStringWithCanonicalMapping.split(
            separator: ".",
            omittingEmptySubsequences: false
        ) {
            if label.utf8.allSatisfy({ $0 < 0x80 }) {
                labels.append(String(label))
            } else {
                guard let encoded = Punycode.encode(String(label)) else { return nil }
                labels.append("xn--" + encoded)
            }
        }
        return labels.joined(separator: ".")
    }

    /// Adds `c`, `b.c` and `a.b.c` for the rule `a.b.c`.
    private static func addStems(of rule: String, to stems: inout Set<String>) {
        stems.insert(rule)
        var rest = Substring(rule)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            stems.insert(String(rest))
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }
}
