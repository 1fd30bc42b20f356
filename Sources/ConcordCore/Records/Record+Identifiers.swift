/// One identifier named by a record, with what the record says about it: the rows the check index is built from.
public struct IndexedIdentifier: Sendable, Equatable {
    /// The identifier in canonical form.
    public let identifier: Identifier
    /// The part it played, for reports.
    public let role: IdentifierRole?
    /// The typology of the record.
    public let typology: Typology?
    /// The jurisdiction the record was filed in.
    public let jurisdiction: String?
    /// The confidence 0-100, for indicators.
    public let confidence: Int?
    /// When it was first seen.
    public let firstSeen: Timestamp
    /// When it was last seen.
    public let lastSeen: Timestamp
    /// True when the record is a victim report, false for an indicator.
    public let isReport: Bool
    /// True when the identifier was derived (a URL's host as a domain), not named directly.
    public let derived: Bool
    /// The TLP level of the record, which decides which check scopes see it.
    public let tlp: TLPLevel
    /// Until when an indicator holds; nil when it holds until withdrawn (and always for reports).
    public let validUntil: Timestamp?

    /// Creates an entry.
    public init(
        identifier: Identifier,
        role: IdentifierRole?,
        typology: Typology?,
        jurisdiction: String?,
        confidence: Int?,
        firstSeen: Timestamp,
        lastSeen: Timestamp,
        isReport: Bool,
        derived: Bool = false,
        tlp: TLPLevel = .red,
        validUntil: Timestamp? = nil
    ) {
        self.identifier = identifier
        self.role = role
        self.typology = typology
        self.jurisdiction = jurisdiction
        self.confidence = confidence
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.isReport = isReport
        self.derived = derived
        self.tlp = tlp
        self.validUntil = validUntil
    }
}

extension Record {
    /// The identifiers this record names, each with the record's facts about it. A URL also yields its
    /// host as a derived domain, so that checking a domain finds reports of pages on it. Retractions name none.
    public var indexedIdentifiers: [IndexedIdentifier] {
        let body = self.body
        let typology = body["typology"]?.stringValue.flatMap(Typology.init(rawValue:))
        let jurisdiction = body["jurisdiction"]?.stringValue
        var out: [IndexedIdentifier] = []
        func add(
            _ item: JSONValue,
            role: IdentifierRole?,
            confidence: Int?,
            first: Timestamp,
            last: Timestamp,
            isReport: Bool,
            validUntil: Timestamp? = nil
        ) {
            guard let kindText = item["kind"]?.stringValue, let kind = IdentifierKind(rawValue: kindText),
                let value = item["value"]?.stringValue
            else { return }
            let identifier = Identifier(kind: kind, canonical: value)
            out.append(
                IndexedIdentifier(
                    identifier: identifier,
                    role: role,
                    typology: typology,
                    jurisdiction: jurisdiction,
                    confidence: confidence,
                    firstSeen: first,
                    lastSeen: last,
                    isReport: isReport,
                    tlp: label.tlp,
                    validUntil: validUntil
                )
            )
            if kind == .url, let host = WebAddressNormalizer.host(ofCanonicalURL: value),
                (try? IPAddressNormalizer.normalize(host)) == nil
            {
                out.append(
                    IndexedIdentifier(
                        identifier: Identifier(kind: .domain, canonical: host),
                        role: .website,
                        typology: typology,
                        jurisdiction: jurisdiction,
                        confidence: confidence,
                        firstSeen: first,
                        lastSeen: last,
                        isReport: isReport,
                        derived: true,
                        tlp: label.tlp,
                        validUntil: validUntil
                    )
                )
            }
        }
        switch kind {
        case .report:
            let when = body["occurred_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? created
            for item in body["identifiers"]?.arrayValue ?? [] {
                let role = item["role"]?.stringValue.flatMap(IdentifierRole.init(rawValue:))
                add(item, role: role, confidence: nil, first: when, last: when, isReport: true)
            }
        case .indicator:
            guard let item = body["identifier"] else { return [] }
            let first = body["first_seen"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? created
            let last = body["last_seen"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? max(first, created)
            let confidence = body["confidence"]?.integerValue.map { Int($0) }
            let until = body["valid_until"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
            add(item, role: nil, confidence: confidence, first: first, last: last, isReport: false, validUntil: until)
        case .retraction, .community, .actionRequest, .actionResponse, .dispute, .disputeDecision, .directoryEntry, .assessment,
            .assessmentReview, .pairingOffer, .pairingResponse, .practice,
            .exchange, .exchangeOutcome, .exercise, .exerciseInject, .exerciseReport:
            // A request or dispute names identifiers to act on or clear; it is not a claim that they are used in scams.
            break
        }
        return out
    }
}
