public import ConcordCore

extension ReportFacts {
    /// Reads the facts of a report record; nil for other kinds and for exercise records, which never mix with
    /// live analysis.
    ///
    /// Identifier keys are the report's identifiers as `kind:canonical`; a URL also yields its host and its
    /// registrable domain as `domain:` keys, so that two pages of one scam site link their reports. Domains
    /// that many unrelated sites share (free hosting, big platforms) are kept from linking by the warning list
    /// and the common-identifier rule of the campaign linker, not here.
    public init?(record: Record) {
        guard record.kind == .report, !record.exercise else { return nil }
        let body = record.body
        var keys: [String] = []
        var seen = Set<String>()
        func add(_ key: String) {
            if seen.insert(key).inserted { keys.append(key) }
        }
        for item in body["identifiers"]?.arrayValue ?? [] {
            guard let kind = item["kind"]?.stringValue, IdentifierKind(rawValue: kind) != nil,
                let value = item["value"]?.stringValue
            else { continue }
            add(kind + ":" + value)
            if kind == IdentifierKind.url.rawValue, let host = WebAddressNormalizer.host(ofCanonicalURL: value),
                (try? IPAddressNormalizer.normalize(host)) == nil
            {
                add("domain:" + host)
                if let registrable = PublicSuffixList.shared.registrableDomain(of: host) { add("domain:" + registrable) }
            }
        }
        let loss: Money? =
            if let amount = body["loss"]?["amount"], let currency = body["loss"]?["currency"]?.stringValue {
                Money.parse(amount: amount, currency: currency)
            } else {
                nil
            }
        self.init(
            id: record.id,
            origin: record.origin,
            jurisdiction: body["jurisdiction"]?.stringValue ?? "",
            typology: body["typology"]?.stringValue.flatMap(Typology.init(rawValue:)) ?? .other,
            loss: loss,
            victims: Int(body["victims"]?.integerValue ?? 1),
            occurredAt: body["occurred_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? record.created,
            identifiers: keys,
            filed: record.created
        )
    }
}
