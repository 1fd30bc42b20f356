public import ConcordCore

/// Something a programme could fund against scams (a rapid account-freezing protocol, a sender-ID registry, an
/// awareness campaign, a training course), with what it costs and which risk factors it reduces by how much.
///
/// In the risk model a risk's expected annual loss is frequency × vulnerability × mean loss per case, so cutting any
/// one factor by a fraction `r` multiplies that risk's loss by `1 - r`; several effects, of one intervention or of
/// several, combine multiplicatively.
public struct Intervention: Sendable, Hashable, Codable {
    /// The risk factor an effect reduces.
    public enum Factor: String, CaseIterable, Sendable, Hashable, Codable {
        /// How often scams of the kind succeed in reaching victims (the frequency of cases).
        case likelihood
        /// How much is lost per case (for example money frozen before it leaves the country).
        case impact
        /// How readily people fall for the scam once reached.
        case vulnerability
    }

    /// One effect of an intervention: a reduction of one risk factor for some typologies.
    public struct Effect: Sendable, Hashable, Codable {
        /// The factor reduced.
        public var factor: Factor
        /// The typologies the effect acts on; empty means every typology.
        public var typologies: [Typology]
        /// The fraction of the factor removed, at least 0 and below 1 (0.15 is a 15% reduction).
        public var reduction: Double

        /// Creates an effect.
        /// - Parameters:
        ///   - factor: the factor reduced.
        ///   - typologies: the typologies it acts on; empty (the default) for all.
        ///   - reduction: the fraction removed, in [0, 1).
        public init(factor: Factor, typologies: [Typology] = [], reduction: Double) {
            self.factor = factor
            self.typologies = typologies
            self.reduction = reduction
        }

        enum CodingKeys: String, CodingKey {
            case factor, typologies, reduction
        }

        /// Reads an effect; `typologies` may be left out (all typologies).
        /// - Throws: `DecodingError` when `factor` or `reduction` is missing or a typology is unknown.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                factor: try c.decode(Factor.self, forKey: .factor),
                typologies: try c.decodeIfPresent([Typology].self, forKey: .typologies) ?? [],
                reduction: try c.decode(Double.self, forKey: .reduction)
            )
        }

        /// Whether the effect acts on risks of `typology`.
        public func applies(to typology: Typology) -> Bool {
            typologies.isEmpty || typologies.contains(typology)
        }
    }

    /// What is wrong with one field of an intervention (or of a planning request), for a person to fix.
    public struct Problem: Sendable, Hashable, Codable, CustomStringConvertible {
        /// Where the problem is, as a path such as `interventions[3].effects[0].reduction`.
        public var field: String
        /// What is wrong, in words, starting lower-case: `must be between 0 and 1 (1 excluded), not 1.5`.
        public var message: String
        /// The id of the intervention concerned, when it has one.
        public var item: String?
        /// The line of the source file, when the item was read from one.
        public var line: Int?

        /// Creates a problem.
        public init(field: String, message: String, item: String? = nil, line: Int? = nil) {
            self.field = field
            self.message = message
            self.item = item
            self.line = line
        }

        /// `field message`, with the line and the intervention's id when known.
        public var description: String {
            var text = "\(field) \(message)"
            var context: [String] = []
            if let line { context.append("line \(line)") }
            if let item, !item.isEmpty { context.append("intervention \"\(item)\"") }
            if !context.isEmpty { text += " (" + context.joined(separator: ", ") + ")" }
            return text
        }
    }

    /// A short stable identifier: lower-case letters, digits and hyphens (`bank-rapid-freeze`).
    public var id: String
    /// The name people see.
    public var name: String
    /// A sentence or two on what is funded.
    public var summary: String
    /// What it costs, in the plan's base currency.
    public var cost: Double
    /// The analyst (staff) hours it takes from the programme.
    public var analystHours: Double
    /// How long it takes to put in place, in months.
    public var durationMonths: Int
    /// ISO 3166-1 alpha-2 codes of the jurisdictions it acts in; empty for a regional intervention that acts in
    /// every jurisdiction of the plan.
    public var jurisdictions: [String]
    /// What it reduces, by how much.
    public var effects: [Effect]
    /// Where the effect sizes come from (a study, a pilot, or "planning assumption").
    public var source: String?

    /// Creates an intervention. `validate(_:)` says what is wrong with the values, if anything.
    public init(
        id: String,
        name: String,
        summary: String = "",
        cost: Double,
        analystHours: Double,
        durationMonths: Int,
        jurisdictions: [String] = [],
        effects: [Effect],
        source: String? = nil
    ) {
        self.id = id
        self.name = name
        self.summary = summary
        self.cost = cost
        self.analystHours = analystHours
        self.durationMonths = durationMonths
        self.jurisdictions = jurisdictions
        self.effects = effects
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case id, name, summary, cost
        case analystHours = "analyst_hours"
        case durationMonths = "duration_months"
        case jurisdictions, effects, source
    }

    /// Reads an intervention; `summary`, `jurisdictions` and `source` may be left out.
    /// - Throws: `DecodingError` when a required field is missing or of the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            name: try c.decode(String.self, forKey: .name),
            summary: try c.decodeIfPresent(String.self, forKey: .summary) ?? "",
            cost: try c.decode(Double.self, forKey: .cost),
            analystHours: try c.decode(Double.self, forKey: .analystHours),
            durationMonths: try c.decode(Int.self, forKey: .durationMonths),
            jurisdictions: try c.decodeIfPresent([String].self, forKey: .jurisdictions) ?? [],
            effects: try c.decode([Effect].self, forKey: .effects),
            source: try c.decodeIfPresent(String.self, forKey: .source)
        )
    }

    /// Writes the intervention with the same keys `init(from:)` reads.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(summary, forKey: .summary)
        try c.encode(cost, forKey: .cost)
        try c.encode(analystHours, forKey: .analystHours)
        try c.encode(durationMonths, forKey: .durationMonths)
        try c.encode(jurisdictions, forKey: .jurisdictions)
        try c.encode(effects, forKey: .effects)
        try c.encodeIfPresent(source, forKey: .source)
    }

    /// Whether the intervention is regional: it names no jurisdiction and so acts in all of them.
    public var isRegional: Bool { jurisdictions.isEmpty }

    /// Whether the intervention acts in `jurisdiction` (compared as ISO codes, so `th` matches `TH`).
    public func applies(toJurisdiction jurisdiction: String) -> Bool {
        if jurisdictions.isEmpty { return true }
        let code = Intervention.canonicalJurisdiction(jurisdiction)
        return jurisdictions.contains { Intervention.canonicalJurisdiction($0) == code }
    }

    /// The share of a risk's expected annual loss left after this intervention alone: the product of `1 - reduction`
    /// over its effects that act on the risk; 1 when it does not act on the risk at all.
    public func remainingShare(jurisdiction: String, typology: Typology) -> Double {
        guard applies(toJurisdiction: jurisdiction) else { return 1 }
        var share = 1.0
        for effect in effects where effect.applies(to: typology) {
            share *= 1 - effect.reduction
        }
        return share
    }

    /// The ISO code for `text` when it is one (`uk` → `GB`), otherwise `text` upper-cased.
    static func canonicalJurisdiction(_ text: String) -> String {
        Jurisdiction.normalize(text) ?? text.uppercased()
    }

    /// Whether `text` is a slug: 1 to 64 lower-case ASCII letters, digits and single hyphens, not starting or ending
    /// with a hyphen.
    static func isSlug(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-")
        else { return false }
        var previousHyphen = false
        for b in bytes {
            let isHyphen = b == UInt8(ascii: "-")
            let letter = b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")
            let digit = b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
            let ok = isHyphen || letter || digit
            if !ok || (isHyphen && previousHyphen) { return false }
            previousHyphen = isHyphen
        }
        return true
    }

    /// What is wrong with this intervention's own fields (not with its place in a catalogue).
    /// - Parameter path: the path of the intervention, such as `interventions[3]`; fields are named below it.
    /// - Returns: one problem per bad field, empty when the intervention is usable.
    public func problems(at path: String) -> [Problem] {
        var out: [Problem] = []
        let item = id.isEmpty ? nil : id
        func add(_ field: String, _ message: String) {
            out.append(Problem(field: path + "." + field, message: message, item: item))
        }
        if !Intervention.isSlug(id) {
            add("id", "must be a slug of lower-case letters, digits and hyphens (like bank-rapid-freeze), not \"\(id)\"")
        }
        if name.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" }) {
            add("name", "must not be empty")
        }
        if !cost.isFinite || cost < 0 {
            add("cost", "must be an amount of zero or more, not \(Intervention.describe(cost))")
        }
        if !analystHours.isFinite || analystHours < 0 {
            add("analyst_hours", "must be a number of hours of zero or more, not \(Intervention.describe(analystHours))")
        }
        if durationMonths < 0 {
            add("duration_months", "must be zero or more, not \(durationMonths)")
        }
        for (k, code) in jurisdictions.enumerated() where Jurisdiction.normalize(code) == nil {
            add("jurisdictions[\(k)]", "\"\(code)\" is not an ISO 3166-1 alpha-2 country code (like TH or FJ)")
        }
        if effects.isEmpty {
            add("effects", "must list at least one effect")
        }
        for (k, effect) in effects.enumerated() {
            let r = effect.reduction
            if !r.isFinite || r < 0 || r >= 1 {
                add(
                    "effects[\(k)].reduction",
                    "must be between 0 and 1 (1 excluded; 0.15 means 15%), not \(Intervention.describe(r))"
                )
            }
        }
        return out
    }

    /// What is wrong with a catalogue: each intervention's own problems, and ids used more than once.
    /// - Parameters:
    ///   - interventions: the catalogue, in its order.
    ///   - path: the name of the list, used to name fields (`interventions[3].cost`).
    /// - Returns: the problems, in catalogue order; empty when every intervention is usable.
    public static func validate(_ interventions: [Intervention], path: String = "interventions") -> [Problem] {
        screen(interventions, path: path).problems
    }

    /// The indices of the usable interventions (no problem of their own, id not taken by an earlier one) and the
    /// problems of the others, in catalogue order.
    static func screen(_ interventions: [Intervention], path: String) -> (usable: [Int], problems: [Problem]) {
        var out: [Problem] = []
        var usable: [Int] = []
        var firstIndex: [String: Int] = [:]
        for (index, intervention) in interventions.enumerated() {
            let itemPath = "\(path)[\(index)]"
            var own = intervention.problems(at: itemPath)
            if let earlier = firstIndex[intervention.id] {
                own.append(
                    Problem(
                        field: itemPath + ".id",
                        message: "\"\(intervention.id)\" is already used by \(path)[\(earlier)]; ids must be unique",
                        item: intervention.id
                    )
                )
            } else {
                firstIndex[intervention.id] = index
            }
            if own.isEmpty { usable.append(index) }
            out += own
        }
        return (usable, out)
    }

    /// A number as a person would write it in a message (`1.5`, `-20`, `NaN`).
    static func describe(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-infinity" : "infinity" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
