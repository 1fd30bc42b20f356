import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What the network knows of one identifier: the answer to "has anyone flagged this?".
public struct CheckResult: Sendable, Equatable {
    /// The identifier that was asked about.
    public let identifier: Identifier
    /// The identifier whose entry answered, when it is not the one asked about (a URL answered by its domain).
    public let matched: Identifier?
    /// True when at least one live (not withdrawn) report or indicator names it.
    public let flagged: Bool
    /// Live victim reports naming it.
    public let reports: Int
    /// Live indicators naming it.
    public let indicators: Int
    /// Jurisdictions the reports and indicators were filed in, sorted.
    public let jurisdictions: [String]
    /// Typologies it was reported under.
    public let typologies: [Typology]
    /// Earliest sighting.
    public let firstSeen: Timestamp?
    /// Latest sighting.
    public let lastSeen: Timestamp?
    /// Highest indicator confidence, 0-100.
    public let highestConfidence: Int?
    /// True when it was flagged once but every record naming it has been withdrawn.
    public let retracted: Bool
    /// True when only indicators name it and every one of them is past its `valid_until`.
    public let expired: Bool
    /// True when it is on the node's warning list of known-good values, which are never flagged.
    public let knownGood: Bool
    /// Whole days since it was last seen, when any live record names it.
    public let ageDays: Int?
    /// How sure, 0-100, the network is today that it is used in scams: the evidence decayed by age. Nil when not
    /// flagged.
    public let sureness: Int?
}

/// Which records a check answer may draw on, by their TLP level: what a checker token is allowed to learn.
///
/// A check answer says only whether, how often and where an identifier was flagged, never a record's content, but
/// even that is the records' information: a bank's payment system checking numbers should learn from what the
/// network shares widely (CLEAR and GREEN), not from a RED report addressed to one police unit.
public enum CheckScope: String, CaseIterable, Sendable, Codable, Comparable {
    /// CLEAR and GREEN records: the default for a checker token.
    case green
    /// CLEAR, GREEN and AMBER records: for a checker inside an organisation the node shares AMBER with.
    case amber
    /// Every record the node holds, AMBER+STRICT and RED included: analysts, admins, the command line.
    case all

    /// How many of the index's bands (CLEAR/GREEN, AMBER, AMBER+STRICT/RED) the scope reads.
    var bands: Int {
        switch self {
        case .green: 1
        case .amber: 2
        case .all: 3
        }
    }

    /// The band a record of `tlp` is indexed in.
    static func band(of tlp: TLPLevel) -> Int {
        switch tlp {
        case .clear, .green: 0
        case .amber: 1
        case .amberStrict, .red: 2
        }
    }

    /// Whether a token of this scope may see records of `level`: those in the bands it reads.
    public func allows(_ level: TLPLevel) -> Bool { Self.band(of: level) < bands }

    public static func < (lhs: CheckScope, rhs: CheckScope) -> Bool { lhs.bands < rhs.bands }
}

/// The in-memory index of every identifier the node holds, so that checks never touch the database.
///
/// Each entry is a fixed 32-byte summary; jurisdiction sets are interned and shared between entries. Entries are
/// kept in three bands by the TLP level of the records they summarise (CLEAR/GREEN, AMBER, AMBER+STRICT/RED), so
/// that an answer draws only on the bands its `CheckScope` covers; an identifier named at one level only, as most
/// are, is held once.
public final class CheckIndex: Sendable {
    struct Entry {
        var reports: UInt32 = 0
        var indicators: UInt32 = 0
        var withdrawn: UInt32 = 0
        var firstSeen: UInt32 = .max  // seconds since 1970
        var lastSeen: UInt32 = 0
        var jurisdictionSet: UInt32 = 0
        var typologies: UInt16 = 0
        var confidence: Int8 = -1
        /// The latest `valid_until` of the live indicators, in seconds; `.max` when one of them has none.
        var validUntil: UInt32 = 0

        /// Whether a live record still flags it at `now` (seconds): a report, or an indicator not yet expired.
        func live(at now: UInt32) -> Bool { reports > 0 || (indicators > 0 && validUntil > now) }
    }

    struct State {
        /// `bands[band][kind ordinal]`.
        var bands: [[KeyTable<Entry>]]
        var sets = JurisdictionSets()
        var count = 0
        /// Warning-list keys (`kind:canonical`) that are never flagged.
        var knownGood: Set<String> = []

        /// Whether the warning list covers `identifier`: its own key, or for a domain a parent domain on the list
        /// (`www.facebook.com` under `facebook.com`), but never a name that is its own registrable domain under a
        /// listed shared suffix (`scam.github.io` is not covered by `github.io`).
        func isKnownGood(_ identifier: Identifier) -> Bool {
            guard !knownGood.isEmpty else { return false }
            if knownGood.contains(identifier.kind.rawValue + ":" + identifier.canonical) { return true }
            guard identifier.kind == .domain else { return false }
            let host = identifier.canonical
            var rest = Substring(host)
            let dot = UInt8(ascii: ".")
            while let found = rest.utf8.firstIndex(of: dot) {
                rest = rest[rest.utf8.index(after: found)...]
                guard rest.utf8.contains(dot) else { break }
                guard knownGood.contains("domain:" + rest) else { continue }
                if let registrable = PublicSuffixList.shared.registrableDomain(of: host),
                    rest.utf8.count >= registrable.utf8.count
                {
                    return true
                }
            }
            return false
        }

        init() {
            let seed = Int.random(in: .min ... .max)
            bands = (0..<3).map { _ in IdentifierKind.allCases.map { _ in KeyTable(seed: seed) } }
        }

        /// The bands a scope reads that hold anything: empty bands cost no look-up.
        func bands(of scope: CheckScope) -> [Int] {
            (0..<scope.bands).filter { band in bands[band].contains { $0.count > 0 } }
        }

        /// The summary of `key` over `bands`: counts added, times widened, typologies and sets joined.
        func entry(_ key: String, ordinal: Int, in bands: [Int]) -> Summary? {
            var summary: Summary?
            for band in bands {
                if let entry = self.bands[band][ordinal].value(key) { summary = Summary(summary, entry) }
            }
            return summary
        }
    }

    /// An entry read over one or more bands.
    struct Summary {
        var entry: Entry
        var sets: [UInt32]

        init(_ entry: Entry) {
            self.entry = entry
            sets = [entry.jurisdictionSet]
        }

        init(_ earlier: Summary?, _ entry: Entry) {
            guard var merged = earlier else {
                self.init(entry)
                return
            }
            merged.entry.reports &+= entry.reports
            merged.entry.indicators &+= entry.indicators
            merged.entry.withdrawn &+= entry.withdrawn
            merged.entry.firstSeen = min(merged.entry.firstSeen, entry.firstSeen)
            merged.entry.lastSeen = max(merged.entry.lastSeen, entry.lastSeen)
            merged.entry.typologies |= entry.typologies
            merged.entry.confidence = max(merged.entry.confidence, entry.confidence)
            merged.entry.validUntil = max(merged.entry.validUntil, entry.validUntil)
            merged.sets.append(entry.jurisdictionSet)
            self = merged
        }

        /// Whether any live (not withdrawn) record names it, expired or not.
        var held: Bool { entry.reports + entry.indicators > 0 }
    }

    private let state = Mutex(State())

    /// An empty index.
    public init() {}

    /// The number of distinct identifiers indexed.
    public var count: Int { state.withLock { $0.count } }

    /// Sets the warning list: `kind:canonical` keys of known-good values (a bank's switchboard, a platform's domain)
    /// that no check flags, whatever names them.
    public func setKnownGood(_ keys: Set<String>) {
        state.withLock { $0.knownGood = keys }
    }

    /// Bytes the index's tables hold (keys, slots and summaries), for capacity planning.
    public var footprint: Int { state.withLock { s in s.bands.joined().reduce(0) { $0 + $1.footprint } } }

    /// Adds what one record says of one identifier. `retracted` marks a record that was withdrawn.
    public func add(_ item: IndexedIdentifier, retracted: Bool = false) {
        state.withLock { s in Self.add(item, retracted: retracted, into: &s) }
    }

    /// Adds many items under one lock.
    public func add(contentsOf items: [(IndexedIdentifier, retracted: Bool)]) {
        state.withLock { s in
            for (item, retracted) in items { Self.add(item, retracted: retracted, into: &s) }
        }
    }

    /// Replaces the entry of `identifier` with one built from `items` (every row naming it), as after a retraction.
    public func rebuild(_ identifier: Identifier, from items: [(IndexedIdentifier, retracted: Bool)]) {
        state.withLock { s in
            let ordinal = identifier.kind.ordinal
            for band in 0..<s.bands.count where s.bands[band][ordinal].value(identifier.canonical) != nil {
                s.bands[band][ordinal].reset(identifier.canonical, to: Entry())
            }
            for (item, retracted) in items where item.identifier == identifier {
                Self.add(item, retracted: retracted, into: &s)
            }
        }
    }

    private static func add(_ item: IndexedIdentifier, retracted: Bool, into s: inout State) {
        let key = item.identifier.canonical
        let ordinal = item.identifier.kind.ordinal
        let band = CheckScope.band(of: item.tlp)
        let held = s.bands[band][ordinal].value(key)
        var entry = held ?? Entry()
        if retracted {
            entry.withdrawn &+= 1
        } else {
            if item.isReport { entry.reports &+= 1 } else { entry.indicators &+= 1 }
            if let t = item.typology { entry.typologies |= t.bit }
            if let c = item.confidence { entry.confidence = max(entry.confidence, Int8(clamping: c)) }
            if !item.isReport {
                entry.validUntil = max(entry.validUntil, item.validUntil.map { UInt32(clamping: max(0, $0.seconds)) } ?? .max)
            }
            entry.firstSeen = min(entry.firstSeen, UInt32(clamping: item.firstSeen.seconds))
            entry.lastSeen = max(entry.lastSeen, UInt32(clamping: item.lastSeen.seconds))
            if let j = item.jurisdiction { entry.jurisdictionSet = s.sets.adding(j, to: entry.jurisdictionSet) }
        }
        let updated = entry
        if s.bands[band][ordinal].update(key, empty: updated, { $0 = updated }), held == nil,
            !(0..<s.bands.count).contains(where: { $0 != band && s.bands[$0][ordinal].value(key) != nil })
        {
            s.count += 1
        }
    }

    /// The answer for one canonical identifier from the records `scope` covers. URLs fall back to their host and
    /// registrable domain; domains to their registrable domain.
    public func check(_ identifier: Identifier, scope: CheckScope = .all, at now: Timestamp? = nil) -> CheckResult {
        let seconds = now.map(Self.seconds) ?? Self.currentSeconds()
        return state.withLock { s in Self.check(identifier, bands: s.bands(of: scope), at: seconds, in: s) }
    }

    static func seconds(_ t: Timestamp) -> UInt32 { UInt32(clamping: max(0, t.seconds)) }

    /// Seconds since the epoch from the coarse real-time clock: expiry is kept to the second, and reading the
    /// precise clock through Foundation cost more than the look-up itself.
    static func currentSeconds() -> UInt32 {
        #if canImport(Glibc)
            var ts = timespec()
            if clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0 { return UInt32(clamping: max(0, Int64(ts.tv_sec))) }
        #endif
        return seconds(.now())
    }

    /// Answers for many identifiers under one lock, in order, overlapping the memory reads of neighbours.
    public func check(_ identifiers: [Identifier], scope: CheckScope = .all, at now: Timestamp? = nil) -> [CheckResult] {
        let seconds = now.map(Self.seconds) ?? Self.currentSeconds()
        var positions = [[Int]](repeating: [], count: IdentifierKind.allCases.count)
        for (n, identifier) in identifiers.enumerated() { positions[identifier.kind.ordinal].append(n) }
        return state.withLock { s in
            let bands = s.bands(of: scope)
            var results = [CheckResult?](repeating: nil, count: identifiers.count)
            for (ordinal, places) in positions.enumerated() where !places.isEmpty {
                let keys = places.map { identifiers[$0].canonical }
                var summaries = [Summary?](repeating: nil, count: places.count)
                for band in bands {
                    for (n, entry) in s.bands[band][ordinal].values(keys).enumerated() {
                        if let entry { summaries[n] = Summary(summaries[n], entry) }
                    }
                }
                for (place, summary) in zip(places, summaries) {
                    let identifier = identifiers[place]
                    if let summary, summary.entry.live(at: seconds), !s.isKnownGood(identifier) {
                        results[place] = Self.result(identifier, matched: nil, summary, at: seconds, s)
                    } else if identifier.kind == .url || identifier.kind == .domain {
                        results[place] = Self.check(identifier, bands: bands, at: seconds, in: s)
                    } else {
                        results[place] = Self.result(identifier, matched: nil, summary ?? Summary(Entry()), at: seconds, s)
                    }
                }
            }
            return results.compactMap { $0 }  // every position was answered above
        }
    }

    /// Whether each of many exact keys is flagged in the records `scope` covers: the batched bare look-up, with no
    /// fall-back and no result building, overlapping the memory reads of neighbouring keys.
    public func areFlagged(_ identifiers: [Identifier], scope: CheckScope = .all) -> [Bool] {
        let now = Self.currentSeconds()
        var flags = [Bool](repeating: false, count: identifiers.count)
        var positions = [[Int]](repeating: [], count: IdentifierKind.allCases.count)
        for (n, identifier) in identifiers.enumerated() { positions[identifier.kind.ordinal].append(n) }
        state.withLock { s in
            for band in s.bands(of: scope) {
                for (ordinal, places) in positions.enumerated() where !places.isEmpty {
                    let entries = s.bands[band][ordinal].values(places.map { identifiers[$0].canonical })
                    for (place, entry) in zip(places, entries) {
                        if let entry, entry.live(at: now), !s.isKnownGood(identifiers[place]) { flags[place] = true }
                    }
                }
            }
        }
        return flags
    }

    /// Whether the exact key is flagged in the records `scope` covers: the bare look-up, with no fall-back and no
    /// result building.
    public func isFlagged(_ identifier: Identifier, scope: CheckScope = .all) -> Bool {
        let now = Self.currentSeconds()
        return state.withLock { s in
            s.bands(of: scope).contains { band in
                guard let e = s.bands[band][identifier.kind.ordinal].value(identifier.canonical) else { return false }
                return e.live(at: now) && !s.isKnownGood(identifier)
            }
        }
    }

    private static func check(_ identifier: Identifier, bands: [Int], at now: UInt32, in s: State) -> CheckResult {
        let own = s.entry(identifier.canonical, ordinal: identifier.kind.ordinal, in: bands)
        if let own, own.entry.live(at: now), !s.isKnownGood(identifier) {
            return result(identifier, matched: nil, own, at: now, s)
        }
        // A known-good host (a platform, a shortener) never flags the pages on it.
        var hostKnownGood = false
        for fallback in fallbacks(of: identifier) {
            if s.isKnownGood(fallback) {
                hostKnownGood = true
                continue
            }
            if let summary = s.entry(fallback.canonical, ordinal: IdentifierKind.domain.ordinal, in: bands),
                summary.entry.live(at: now)
            {
                return result(identifier, matched: fallback, summary, at: now, s)
            }
        }
        return result(identifier, matched: nil, own ?? Summary(Entry()), at: now, s, hostKnownGood: hostKnownGood)
    }

    private static func fallbacks(of identifier: Identifier) -> [Identifier] {
        var hosts: [String] = []
        switch identifier.kind {
        case .url:
            if let host = WebAddressNormalizer.host(ofCanonicalURL: identifier.canonical) { hosts.append(host) }
        case .domain:
            break
        default:
            return []
        }
        let host = hosts.first ?? identifier.canonical
        if let registrable = PublicSuffixList.shared.registrableDomain(of: host), registrable != host {
            hosts.append(registrable)
        }
        return hosts.filter { $0 != identifier.canonical || identifier.kind != .domain }
            .map { Identifier(kind: .domain, canonical: $0) }
    }

    private static func result(
        _ identifier: Identifier,
        matched: Identifier?,
        _ summary: Summary,
        at now: UInt32,
        _ s: State,
        hostKnownGood: Bool = false
    ) -> CheckResult {
        let e = summary.entry
        let held = summary.held
        let knownGood = hostKnownGood || (held && s.isKnownGood(matched ?? identifier))
        let flagged = e.live(at: now) && !knownGood
        let jurisdictions =
            summary.sets.count == 1
            ? s.sets.codes(of: summary.sets[0]) : Set(summary.sets.flatMap { s.sets.codes(of: $0) }).sorted()
        let ageDays = held ? Int(now > e.lastSeen ? (now - e.lastSeen) / 86_400 : 0) : nil
        return CheckResult(
            identifier: identifier,
            matched: matched,
            flagged: flagged,
            reports: Int(e.reports),
            indicators: Int(e.indicators),
            jurisdictions: jurisdictions,
            typologies: Typology.from(mask: e.typologies),
            firstSeen: held ? Timestamp(milliseconds: Int64(e.firstSeen) * 1000) : nil,
            lastSeen: held ? Timestamp(milliseconds: Int64(e.lastSeen) * 1000) : nil,
            highestConfidence: held && e.confidence >= 0 ? Int(e.confidence) : nil,
            retracted: !held && e.withdrawn > 0,
            expired: held && e.reports == 0 && e.validUntil <= now,
            knownGood: knownGood,
            ageDays: ageDays,
            sureness: flagged
                ? Sureness.score(
                    reports: Int(e.reports),
                    confidence: e.indicators > 0 && e.confidence >= 0 ? Int(e.confidence) : nil,
                    jurisdictions: jurisdictions.count,
                    ageDays: ageDays ?? 0
                ) : nil
        )
    }
}

/// How sure a check answer is: the strength of the evidence, halved every `halfLifeDays` since it was last seen.
///
/// The evidence is the highest indicator confidence, or what the victim reports add up to (one report 40, each
/// further report 15 more, up to 90), whichever is higher, plus 10 when two or more jurisdictions saw it. Scam
/// numbers, accounts and sites are dropped and replaced within weeks, so an old flag says less about today.
public enum Sureness {
    /// Days after which a flag counts half.
    public static let halfLifeDays = 90.0

    /// The score 0-100.
    public static func score(reports: Int, confidence: Int?, jurisdictions: Int, ageDays: Int) -> Int {
        let fromReports = reports == 0 ? 0 : min(90, 40 + 15 * (reports - 1))
        var evidence = max(fromReports, confidence ?? 0)
        if jurisdictions >= 2 { evidence = min(100, evidence + 10) }
        let decayed = Double(evidence) * pow(0.5, Double(max(0, ageDays)) / halfLifeDays)
        return Int(decayed.rounded())
    }
}

/// Interned sorted sets of jurisdiction codes, so that an entry holds one 32-bit set id.
struct JurisdictionSets {
    private var members: [[UInt16]] = [[]]
    private var ids: [[UInt16]: UInt32] = [[]: 0]
    private var transitions: [UInt64: UInt32] = [:]

    static func code(_ text: String) -> UInt16 {
        let u = Array(text.utf8)
        guard u.count == 2 else { return 0 }
        return UInt16(u[0]) << 8 | UInt16(u[1])
    }

    mutating func adding(_ jurisdiction: String, to set: UInt32) -> UInt32 {
        let c = Self.code(jurisdiction)
        let transitionKey = UInt64(set) << 16 | UInt64(c)
        if let known = transitions[transitionKey] { return known }
        var list = members[Int(set)]
        if !list.contains(c) {
            list.append(c)
            list.sort()
        }
        let id: UInt32
        if let existing = ids[list] {
            id = existing
        } else {
            id = UInt32(members.count)
            members.append(list)
            ids[list] = id
        }
        transitions[transitionKey] = id
        return id
    }

    func codes(of set: UInt32) -> [String] {
        guard Int(set) < members.count else { return [] }
        return members[Int(set)].map { String(decoding: [UInt8($0 >> 8), UInt8($0 & 0xFF)], as: UTF8.self) }
    }
}

extension CheckResult {
    /// The check answer as JSON: `kind`, `canonical`, `flagged` and what the network knows; the shape the API
    /// and the command line share.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "kind": .string(identifier.kind.rawValue),
            "canonical": .string(identifier.canonical),
            "flagged": .bool(flagged),
            "reports": .integer(Int64(reports)),
            "indicators": .integer(Int64(indicators)),
            "jurisdictions": .array(jurisdictions.map(JSONValue.string)),
            "typologies": .array(typologies.map { .string($0.rawValue) }),
            "first_seen": firstSeen.map { .string($0.rfc3339) } ?? .null,
            "last_seen": lastSeen.map { .string($0.rfc3339) } ?? .null,
            "highest_confidence": highestConfidence.map { .integer(Int64($0)) } ?? .null,
            "retracted": .bool(retracted),
            "expired": .bool(expired),
            "known_good": .bool(knownGood),
            "age_days": ageDays.map { .integer(Int64($0)) } ?? .null,
            "sureness": sureness.map { .integer(Int64($0)) } ?? .null,
        ]
        if let matched {
            members["matched"] = .object(["kind": .string(matched.kind.rawValue), "canonical": .string(matched.canonical)])
        }
        return .object(members)
    }
}
