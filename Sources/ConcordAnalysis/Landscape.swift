public import ConcordCore

/// The reports of one jurisdiction, one typology and one calendar month, with their losses in one currency.
public struct LandscapeCell: Sendable, Hashable, Codable {
    /// ISO 3166-1 alpha-2 code of the jurisdiction the reports were filed in.
    public let jurisdiction: String
    /// The typology the reports were filed under.
    public let typology: Typology
    /// The month the scams happened, `YYYY-MM` in UTC (from each report's `occurredAt`).
    public let month: String
    /// How many reports.
    public let reports: Int
    /// How many victims those reports cover.
    public let victims: Int
    /// The sum of the convertible losses, in the landscape's base currency.
    public let loss: Double
    /// How many reports had a loss that could be converted (and so are in `loss`).
    public let lossReports: Int
    /// How many reports had a loss in a currency with no exchange rate (left out of `loss`).
    public let unconverted: Int

    /// Creates a cell; `Landscape.init(rates:cells:)` and the shared form's decoder check the values.
    public init(
        jurisdiction: String,
        typology: Typology,
        month: String,
        reports: Int,
        victims: Int,
        loss: Double,
        lossReports: Int,
        unconverted: Int
    ) {
        self.jurisdiction = jurisdiction
        self.typology = typology
        self.month = month
        self.reports = reports
        self.victims = victims
        self.loss = loss
        self.lossReports = lossReports
        self.unconverted = unconverted
    }

    enum CodingKeys: String, CodingKey {
        case jurisdiction, typology, month, reports, victims, loss
        case lossReports = "loss_reports"
        case unconverted
    }

    /// Reads a cell and checks it: a known typology, a `YYYY-MM` month, no negative or implausible counts.
    /// - Throws: `InputError` with the JSON pointer of the bad field, or a `DecodingError` for a missing or
    ///   mistyped field.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let path = Landscape.pointer(decoder.codingPath)
        let typologyText = try container.decode(String.self, forKey: .typology)
        guard let typology = Typology(rawValue: typologyText) else {
            throw InputError(pointer: path + "/typology", detail: "unknown typology \"\(typologyText)\"")
        }
        let jurisdiction = try container.decode(String.self, forKey: .jurisdiction)
        let month = try container.decode(String.self, forKey: .month)
        let reports = try container.decode(Int.self, forKey: .reports)
        let victims = try container.decode(Int.self, forKey: .victims)
        let loss = try container.decode(Double.self, forKey: .loss)
        let lossReports = try container.decode(Int.self, forKey: .lossReports)
        let unconverted = try container.decode(Int.self, forKey: .unconverted)
        self.init(
            jurisdiction: jurisdiction,
            typology: typology,
            month: month,
            reports: reports,
            victims: victims,
            loss: loss,
            lossReports: lossReports,
            unconverted: unconverted
        )
        try validate(at: path)
    }

    /// The largest count a cell may carry; far above any real figure, low enough that sums never overflow.
    static let countLimit = 1_000_000_000_000

    /// Throws when a field is out of range. `path` is the cell's JSON pointer.
    func validate(at path: String) throws(InputError) {
        let letters = UInt8(ascii: "A")...UInt8(ascii: "Z")
        let code = Array(jurisdiction.utf8)
        guard code.count == 2, code.allSatisfy({ letters.contains($0) }) else {
            throw InputError(
                pointer: path + "/jurisdiction",
                detail: "\"\(jurisdiction)\" is not a two-letter upper-case ISO 3166-1 code"
            )
        }
        guard Landscape.Month.index(month) != nil else {
            throw InputError(pointer: path + "/month", detail: "\"\(month)\" is not a month written YYYY-MM")
        }
        let counts: [(String, Int)] = [
            ("reports", reports), ("victims", victims), ("loss_reports", lossReports), ("unconverted", unconverted),
        ]
        for (name, value) in counts {
            guard value >= 0 else { throw InputError(pointer: path + "/" + name, detail: "is negative (\(value))") }
            guard value <= Self.countLimit else {
                throw InputError(pointer: path + "/" + name, detail: "is implausibly large (\(value))")
            }
        }
        guard lossReports + unconverted <= reports else {
            throw InputError(
                pointer: path + "/loss_reports",
                detail: "loss_reports (\(lossReports)) and unconverted (\(unconverted)) add up to more than "
                    + "reports (\(reports))"
            )
        }
        // The cap keeps sums of many peers' cells finite (a trillion in any currency is beyond any real cell).
        guard loss.isFinite, loss >= 0, loss <= 1e15 else {
            throw InputError(pointer: path + "/loss", detail: "is not an amount from zero to 10^15")
        }
        guard lossReports > 0 || loss == 0 else {
            throw InputError(pointer: path + "/loss", detail: "is not zero although loss_reports is zero")
        }
    }
}

/// What is wrong with a month, a range or a window given to a landscape query.
public enum LandscapeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text is not a month written `YYYY-MM`.
    case invalidMonth(String)
    /// The range starts after it ends.
    case invalidRange(from: String, to: String)
    /// The growth window is not at least one month.
    case invalidWindow(Int)

    /// The problem, for a person.
    public var description: String {
        switch self {
        case .invalidMonth(let text): "\"\(text)\" is not a month written YYYY-MM"
        case .invalidRange(let from, let to): "the range starts (\(from)) after it ends (\(to))"
        case .invalidWindow(let window): "the window must be at least one month, not \(window)"
        }
    }
}

/// Report counts, victims and losses by jurisdiction, typology and month, for one node or for the network.
///
/// A node builds its own landscape from the reports it holds (`build(from:rates:)`, then `add(_:)` as reports
/// arrive), publishes a k-anonymous form of it to peers (`kAnonymous(k:)`), and merges the forms peers publish
/// (`merge(_:)`) to see the network. The landscape keeps the node's own counts apart from what came from peers,
/// so that it never republishes a peer's figures and can show the node's view alone (`nodeOnly`).
///
/// Losses are converted to `rates.base` as reports are added; a report whose loss is in a currency without a
/// rate is counted in `unconverted` and left out of the loss sums.
public struct Landscape: Sendable {
    /// The rates losses were converted with; every loss in the landscape is in `rates.base`.
    public let rates: ExchangeRates
    /// Reports left out because their date lies outside the years 0000 to 9999, which a month cannot name.
    public private(set) var ignoredReports = 0
    /// How many peers' shared landscapes were merged in.
    public private(set) var peerLandscapes = 0
    /// How many cells those peers withheld for having fewer than k reports: the network figures miss them,
    /// so network totals are lower bounds.
    public private(set) var cellsWithheldByPeers = 0

    var entries: [Key: Entry] = [:]

    /// The currency every loss is in.
    public var baseCurrency: String { rates.base }

    /// An empty landscape whose losses will be in `rates.base`.
    public init(rates: ExchangeRates) {
        self.rates = rates
    }

    /// A landscape of the node's own cells, with losses already in `rates.base`; cells with equal keys add up.
    /// - Throws: `InputError` pointing at the first bad cell (by its index in `cells`).
    public init(rates: ExchangeRates, cells: [LandscapeCell]) throws {
        self.rates = rates
        for (i, cell) in cells.enumerated() {
            try cell.validate(at: "/\(i)")
            guard let month = Month.index(cell.month) else { continue }
            entries[Key(cell.jurisdiction, cell.typology, month), default: Entry()].own.add(Tally(cell))
        }
    }

    /// A landscape holding one peer's shared aggregates as peer data, with losses converted to `rates.base`.
    ///
    /// When the peer's base currency differs and `rates` has no rate for it, the peer's losses cannot be used:
    /// their reports are counted as `unconverted` instead.
    public init(shared: SharedLandscape, rates: ExchangeRates) {
        self.rates = rates
        let factor = Self.factor(from: shared.baseCurrency, rates: rates)
        for cell in shared.cells {
            guard let month = Month.index(cell.month) else { continue }
            entries[Key(cell.jurisdiction, cell.typology, month), default: Entry()].peers
                .add(Tally(cell).converted(by: factor))
        }
        peerLandscapes = 1
        cellsWithheldByPeers = shared.suppressedCells
    }

    /// The landscape of `reports`, with losses converted by `rates`.
    public static func build(from reports: some Sequence<ReportFacts>, rates: ExchangeRates) -> Landscape {
        var landscape = Landscape(rates: rates)
        for report in reports { landscape.add(report) }
        return landscape
    }

    /// Counts one of the node's own reports.
    ///
    /// A report counts at most a million victims (a larger figure is read as that), so bad input cannot make
    /// the sums overflow.
    public mutating func add(_ report: ReportFacts) {
        guard let month = Month.index(of: report.occurredAt) else {
            ignoredReports += 1
            return
        }
        var tally = Tally()
        tally.reports = 1
        tally.victims = min(max(report.victims, 0), 1_000_000)
        if let money = report.loss {
            if let value = rates.convert(money), value.isFinite, value >= 0 {
                tally.loss = value
                tally.lossReports = 1
            } else {
                tally.unconverted = 1
            }
        }
        entries[Key(report.jurisdiction, report.typology, month), default: Entry()].own.add(tally)
    }

    /// Adds `other` to this landscape: cells with equal keys add up, the node's own counts to its own and
    /// peers' counts to peers'. Losses in another base currency are converted with this landscape's rates,
    /// or counted as unconverted when there is no rate for that currency.
    public mutating func merge(_ other: Landscape) {
        let factor = Self.factor(from: other.rates.base, rates: rates)
        for (key, entry) in other.entries {
            entries[key, default: Entry()].own.add(entry.own.converted(by: factor))
            entries[key, default: Entry()].peers.add(entry.peers.converted(by: factor))
        }
        ignoredReports += other.ignoredReports
        peerLandscapes += other.peerLandscapes
        cellsWithheldByPeers += other.cellsWithheldByPeers
    }

    /// Adds a peer's shared aggregates, as peer data (see `init(shared:rates:)`).
    public mutating func merge(_ shared: SharedLandscape) {
        merge(Landscape(shared: shared, rates: rates))
    }

    /// The node's own figures alone, without anything merged from peers.
    public var nodeOnly: Landscape {
        var own = Landscape(rates: rates)
        own.ignoredReports = ignoredReports
        for (key, entry) in entries where !entry.own.isEmpty {
            own.entries[key] = Entry(own: entry.own, peers: Tally())
        }
        return own
    }

    /// True when the landscape holds no cells.
    public var isEmpty: Bool { entries.isEmpty }

    /// The earliest month with any report, `YYYY-MM`.
    public var firstMonth: String? { entries.keys.map(\.month).min().map(Month.text) }

    /// The latest month with any report, `YYYY-MM`.
    public var lastMonth: String? { entries.keys.map(\.month).max().map(Month.text) }

    /// True when some of `cell`'s figures came from peers' shared landscapes (which publish only cells of at
    /// least k reports), false when they are the node's own alone.
    public func includesPeerData(_ cell: LandscapeCell) -> Bool {
        guard let month = Month.index(cell.month) else { return false }
        return !(entries[Key(cell.jurisdiction, cell.typology, month)]?.peers.isEmpty ?? true)
    }

    // MARK: Queries

    /// The cells that match every filter given, ordered by jurisdiction, typology (in `Typology.allCases`
    /// order) and month. Own and peer figures are added up.
    /// - Parameters:
    ///   - jurisdictions: only these jurisdictions; nil for all.
    ///   - typologies: only these typologies; nil for all.
    ///   - from: the first month included, `YYYY-MM`; nil for no lower bound.
    ///   - to: the last month included, `YYYY-MM`; nil for no upper bound.
    /// - Throws: `LandscapeError` when a month is malformed or the range is reversed.
    public func cells(
        jurisdictions: Set<String>? = nil,
        typologies: Set<Typology>? = nil,
        from: String? = nil,
        to: String? = nil
    ) throws -> [LandscapeCell] {
        let bounds = try Self.bounds(from: from, to: to)
        var selected: [(key: Key, tally: Tally)] = []
        for (key, entry) in entries where bounds.contains(key.month) {
            if let jurisdictions, !jurisdictions.contains(key.jurisdiction) { continue }
            if let typologies, !typologies.contains(key.typology) { continue }
            selected.append((key, entry.total))
        }
        selected.sort { Self.precedes($0.key, $1.key) }
        return selected.map { Self.cell($0.key, $0.tally) }
    }

    /// Totals by jurisdiction and typology over a range of months, for a heat table.
    /// - Parameters:
    ///   - from: the first month included, `YYYY-MM`; nil for no lower bound.
    ///   - to: the last month included, `YYYY-MM`; nil for no upper bound.
    /// - Throws: `LandscapeError` when a month is malformed or the range is reversed.
    public func heatTable(from: String? = nil, to: String? = nil) throws -> HeatTable {
        let bounds = try Self.bounds(from: from, to: to)
        var sums: [PairKey: Tally] = [:]
        for (key, entry) in entries where bounds.contains(key.month) {
            sums[PairKey(jurisdiction: key.jurisdiction, typology: key.typology), default: Tally()].add(entry.total)
        }
        let ordered = sums.sorted { a, b in
            if a.key.jurisdiction != b.key.jurisdiction { return a.key.jurisdiction < b.key.jurisdiction }
            return Self.rank(a.key.typology) < Self.rank(b.key.typology)
        }
        let totals = ordered.map { pair in
            LandscapeTotal(
                jurisdiction: pair.key.jurisdiction,
                typology: pair.key.typology,
                reports: pair.value.reports,
                victims: pair.value.victims,
                loss: pair.value.loss,
                lossReports: pair.value.lossReports,
                unconverted: pair.value.unconverted
            )
        }
        let present = Set(totals.map(\.typology))
        return HeatTable(
            baseCurrency: rates.base,
            from: from,
            to: to,
            jurisdictions: Array(Set(totals.map(\.jurisdiction))).sorted(),
            typologies: Typology.allCases.filter { present.contains($0) },
            totals: totals
        )
    }

    /// The monthly series of one jurisdiction and typology (nil for all), with every month of the range present,
    /// months without reports as zeros, so that charts need no gap filling.
    ///
    /// Without `from` or `to` the series spans the months of the whole landscape (not just the matching
    /// cells), so that several series drawn on one chart line up.
    /// - Throws: `LandscapeError` when a month is malformed or the range is reversed.
    public func trend(
        jurisdiction: String? = nil,
        typology: Typology? = nil,
        from: String? = nil,
        to: String? = nil
    ) throws -> [TrendPoint] {
        let explicit = try Self.bounds(from: from, to: to)
        let months = entries.keys.map(\.month)
        let start: Int? = from == nil ? months.min() : explicit.lowerBound
        let end: Int? = to == nil ? months.max() : explicit.upperBound
        guard let first = start ?? end, let last = end ?? start, first <= last else { return [] }
        var series = [Tally](repeating: Tally(), count: last - first + 1)
        for (key, entry) in entries where key.month >= first && key.month <= last {
            if let jurisdiction, key.jurisdiction != jurisdiction { continue }
            if let typology, key.typology != typology { continue }
            series[key.month - first].add(entry.total)
        }
        return series.enumerated().map { offset, tally in
            TrendPoint(
                month: Month.text(first + offset),
                reports: tally.reports,
                victims: tally.victims,
                loss: tally.loss,
                lossReports: tally.lossReports,
                unconverted: tally.unconverted
            )
        }
    }

    /// The typologies whose report counts grew most: the last `window` months up to `asOf` against the
    /// `window` months before.
    ///
    /// Only rows with at least `minimumRecent` reports in the recent window and more reports than in the
    /// window before are listed, so that a rise from 1 to 3 reports does not top the list as 200% growth.
    /// The ratio is recent over previous, with a previous count of zero taken as one (so a typology that is
    /// new in the recent window has its recent count as its ratio). Rows are ordered by ratio, then by recent
    /// count, both descending.
    /// - Parameters:
    ///   - limit: at most this many rows.
    ///   - asOf: the last month of the recent window, `YYYY-MM`.
    ///   - window: the length of each window in months.
    ///   - minimumRecent: the fewest reports in the recent window for a row to be listed.
    ///   - jurisdiction: count only this jurisdiction's reports; nil for all.
    ///   - byJurisdiction: one row per jurisdiction and typology instead of one per typology.
    /// - Throws: `LandscapeError` when `asOf` is malformed or `window` is under one.
    public func topGrowing(
        limit: Int = 10,
        asOf month: String,
        window: Int = 3,
        minimumRecent: Int = 5,
        jurisdiction: String? = nil,
        byJurisdiction: Bool = false
    ) throws -> [TypologyGrowth] {
        guard let end = Month.index(month) else { throw LandscapeError.invalidMonth(month) }
        guard window >= 1, window <= 1200 else { throw LandscapeError.invalidWindow(window) }
        let recentStart = end - window + 1
        let previousStart = end - 2 * window + 1
        var counts: [GroupKey: (recent: Int, previous: Int)] = [:]
        for (key, entry) in entries where key.month >= previousStart && key.month <= end {
            if let jurisdiction, key.jurisdiction != jurisdiction { continue }
            let group = GroupKey(jurisdiction: byJurisdiction ? key.jurisdiction : nil, typology: key.typology)
            let reports = entry.total.reports
            if key.month >= recentStart {
                counts[group, default: (recent: 0, previous: 0)].recent += reports
            } else {
                counts[group, default: (recent: 0, previous: 0)].previous += reports
            }
        }
        var rows: [TypologyGrowth] = []
        for (group, count) in counts where count.recent >= max(minimumRecent, 1) && count.recent > count.previous {
            rows.append(
                TypologyGrowth(
                    jurisdiction: group.jurisdiction,
                    typology: group.typology,
                    recent: count.recent,
                    previous: count.previous,
                    ratio: Double(count.recent) / Double(max(count.previous, 1))
                )
            )
        }
        rows.sort { a, b in
            if a.ratio != b.ratio { return a.ratio > b.ratio }
            if a.recent != b.recent { return a.recent > b.recent }
            if a.jurisdiction != b.jurisdiction { return (a.jurisdiction ?? "") < (b.jurisdiction ?? "") }
            return Self.rank(a.typology) < Self.rank(b.typology)
        }
        return Array(rows.prefix(max(limit, 0)))
    }

    // MARK: Sharing

    /// The node's own cells that may be shown to peers: those with at least `k` reports.
    ///
    /// Cells under `k` are suppressed: dropped entirely, neither zeroed nor published with their counts; the
    /// shared form says only how many were dropped. Figures merged in from peers are never republished, since
    /// a peer that knows one contribution to a sum could subtract it and recover the rest.
    ///
    /// - Parameter k: the fewest reports a published cell may have (values under 1 are read as 1).
    public func kAnonymous(k: Int = 5) -> SharedLandscape {
        let k = max(k, 1)
        var published: [(key: Key, tally: Tally)] = []
        var suppressed = 0
        for (key, entry) in entries where !entry.own.isEmpty {
            if entry.own.reports >= k {
                var tally = entry.own
                // A loss summed over fewer than k reports would show those few reports' losses (one report's
                // exactly): the sum is withheld and its reports counted as unconverted instead.
                if tally.lossReports < k && tally.lossReports > 0 {
                    tally.unconverted += tally.lossReports
                    tally.lossReports = 0
                    tally.loss = 0
                }
                published.append((key, tally))
            } else {
                suppressed += 1
            }
        }
        published.sort { Self.precedes($0.key, $1.key) }
        return SharedLandscape(
            checkedK: k,
            baseCurrency: rates.base,
            suppressedCells: suppressed,
            cells: published.map { Self.cell($0.key, $0.tally) }
        )
    }
}

extension Landscape {
    /// Days after a month ends before its aggregate is published to peers: time for reports of that month to be
    /// filed.
    public static let settleDays = 7

    /// The aggregate a node publishes to peers: its own reports, closed months only, each month as it stood at its
    /// cutoff (`settleDays` after the month ended), cells under `k` withheld.
    ///
    /// A month's published cells never change once published: a report filed after the cutoff is left out of
    /// them (it still counts in the node's own view), and a report withdrawn after the cutoff stays in them.
    /// Polling the aggregate therefore never shows a cell move by one report, which would give away that report's
    /// loss; nor is the month under way ever shown.
    /// - Parameters:
    ///   - reports: the reports held, withdrawn ones included; only those of `origin` count.
    ///   - withdrawn: when each withdrawn report (by id) was retracted; a report retracted before its month's
    ///     cutoff is left out.
    ///   - now: the time of publication.
    public static func published(
        from reports: [ReportFacts],
        withdrawn: [String: Timestamp] = [:],
        origin: String,
        rates: ExchangeRates,
        k: Int,
        now: Timestamp
    ) -> SharedLandscape {
        var landscape = Landscape(rates: rates)
        for report in reports where report.origin == origin {
            let cutoff = Self.cutoff(ofMonthOf: report.occurredAt)
            guard cutoff <= now, report.filed < cutoff else { continue }
            if let retracted = withdrawn[report.id], retracted < cutoff { continue }
            landscape.add(report)
        }
        return landscape.kAnonymous(k: k)
    }

    /// When the month of `time` is published: `settleDays` after the first instant of the next month, UTC.
    static func cutoff(ofMonthOf time: Timestamp) -> Timestamp {
        let date = time.date  // YYYY-MM-DD
        let year = Int(date.prefix(4)) ?? 1970
        let month = Int(date.dropFirst(5).prefix(2)) ?? 1
        let next = month == 12 ? (year + 1, 1) : (year, month + 1)
        let text = String(next.0) + (next.1 < 10 ? "-0" : "-") + String(next.1) + "-01"
        let start = Timestamp(rfc3339: text) ?? time
        return Timestamp(milliseconds: start.milliseconds + Int64(settleDays) * 86_400_000)
    }
}

/// A node's landscape as it shows it to peers: only cells of at least `k` reports, in JSON with snake_case
/// names (`base_currency`, `suppressed_cells`, `loss_reports`).
///
/// It deliberately carries no marginal totals (per jurisdiction, per typology, per month or overall): a total
/// computed over all cells would include the suppressed ones, and a peer could subtract the published cells
/// from it and recover exactly the small counts that suppression is meant to hide. A reader who wants totals
/// adds up the published cells and knows they are lower bounds.
public struct SharedLandscape: Sendable, Hashable, Codable {
    /// The fewest reports any published cell has.
    public let k: Int
    /// The currency every cell's loss is in.
    public let baseCurrency: String
    /// How many cells were withheld for having fewer than `k` reports.
    public let suppressedCells: Int
    /// The published cells, each with at least `k` reports.
    public let cells: [LandscapeCell]

    /// A shared landscape, checked as a peer's would be.
    /// - Throws: `InputError` naming the first bad field.
    public init(k: Int, baseCurrency: String, suppressedCells: Int, cells: [LandscapeCell]) throws {
        for (i, cell) in cells.enumerated() { try cell.validate(at: "/cells/\(i)") }
        try Self.check(k: k, baseCurrency: baseCurrency, suppressedCells: suppressedCells, cells: cells, at: "")
        self.init(checkedK: k, baseCurrency: baseCurrency, suppressedCells: suppressedCells, cells: cells)
    }

    init(checkedK k: Int, baseCurrency: String, suppressedCells: Int, cells: [LandscapeCell]) {
        self.k = k
        self.baseCurrency = baseCurrency
        self.suppressedCells = suppressedCells
        self.cells = cells
    }

    enum CodingKeys: String, CodingKey {
        case k
        case baseCurrency = "base_currency"
        case suppressedCells = "suppressed_cells"
        case cells
    }

    /// Reads a peer's shared landscape and checks it: every cell well formed and of at least `k` reports,
    /// no cell twice, `k` at least 1, a plausible currency code.
    /// - Throws: `InputError` with the JSON pointer of the bad field (for example `/cells/3/reports`), or a
    ///   `DecodingError` for a missing or mistyped field.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let k = try container.decode(Int.self, forKey: .k)
        let baseCurrency = try container.decode(String.self, forKey: .baseCurrency)
        let suppressedCells = try container.decode(Int.self, forKey: .suppressedCells)
        let cells = try container.decode([LandscapeCell].self, forKey: .cells)
        try Self.check(
            k: k,
            baseCurrency: baseCurrency,
            suppressedCells: suppressedCells,
            cells: cells,
            at: Landscape.pointer(decoder.codingPath)
        )
        self.init(checkedK: k, baseCurrency: baseCurrency, suppressedCells: suppressedCells, cells: cells)
    }

    private static func check(
        k: Int,
        baseCurrency: String,
        suppressedCells: Int,
        cells: [LandscapeCell],
        at path: String
    ) throws(InputError) {
        guard k >= 1 else { throw InputError(pointer: path + "/k", detail: "must be at least 1, not \(k)") }
        let code = Array(baseCurrency.utf8)
        let letters = UInt8(ascii: "A")...UInt8(ascii: "Z")
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        let codeIsPlausible = (3...8).contains(code.count) && code.allSatisfy { letters.contains($0) || digits.contains($0) }
        guard codeIsPlausible else {
            throw InputError(pointer: path + "/base_currency", detail: "\"\(baseCurrency)\" is not a currency code")
        }
        guard suppressedCells >= 0, suppressedCells <= LandscapeCell.countLimit else {
            throw InputError(pointer: path + "/suppressed_cells", detail: "is out of range (\(suppressedCells))")
        }
        var seen = Set<String>()
        for (i, cell) in cells.enumerated() {
            guard cell.reports >= k else {
                throw InputError(
                    pointer: path + "/cells/\(i)/reports",
                    detail: "\(cell.jurisdiction)/\(cell.typology.rawValue)/\(cell.month) has \(cell.reports) "
                        + "reports, under k = \(k): a cell that small must be suppressed, not published"
                )
            }
            let key = cell.jurisdiction + "/" + cell.typology.rawValue + "/" + cell.month
            guard seen.insert(key).inserted else {
                throw InputError(pointer: path + "/cells/\(i)", detail: "\(key) appears more than once")
            }
        }
    }
}

/// One jurisdiction and typology's totals over a range of months.
public struct LandscapeTotal: Sendable, Hashable, Codable {
    /// ISO 3166-1 alpha-2 code.
    public let jurisdiction: String
    /// The typology.
    public let typology: Typology
    /// How many reports.
    public let reports: Int
    /// How many victims.
    public let victims: Int
    /// The sum of convertible losses in the base currency.
    public let loss: Double
    /// How many reports are in `loss`.
    public let lossReports: Int
    /// How many reports had a loss that could not be converted.
    public let unconverted: Int

    enum CodingKeys: String, CodingKey {
        case jurisdiction, typology, reports, victims, loss
        case lossReports = "loss_reports"
        case unconverted
    }
}

/// Totals by jurisdiction (rows) and typology (columns), for a heat table.
public struct HeatTable: Sendable, Hashable, Codable {
    /// The currency of the losses.
    public let baseCurrency: String
    /// The first month included, as asked; nil for no lower bound.
    public let from: String?
    /// The last month included, as asked; nil for no upper bound.
    public let to: String?
    /// The jurisdictions with any report, sorted.
    public let jurisdictions: [String]
    /// The typologies with any report, in `Typology.allCases` order.
    public let typologies: [Typology]
    /// One total per jurisdiction and typology with any report, ordered by jurisdiction then typology.
    public let totals: [LandscapeTotal]

    /// The total of one row and column, or nil when it has no reports.
    public func total(jurisdiction: String, typology: Typology) -> LandscapeTotal? {
        totals.first { $0.jurisdiction == jurisdiction && $0.typology == typology }
    }

    /// The largest report count of any total, for scaling colours; 0 when empty.
    public var maxReports: Int { totals.map(\.reports).max() ?? 0 }

    enum CodingKeys: String, CodingKey {
        case baseCurrency = "base_currency"
        case from, to, jurisdictions, typologies, totals
    }
}

/// One month of a trend line.
public struct TrendPoint: Sendable, Hashable, Codable {
    /// `YYYY-MM`.
    public let month: String
    /// How many reports; zero for a month without any.
    public let reports: Int
    /// How many victims.
    public let victims: Int
    /// The sum of convertible losses in the base currency.
    public let loss: Double
    /// How many reports are in `loss`.
    public let lossReports: Int
    /// How many reports had a loss that could not be converted.
    public let unconverted: Int

    enum CodingKeys: String, CodingKey {
        case month, reports, victims, loss
        case lossReports = "loss_reports"
        case unconverted
    }
}

/// How much a typology's report count grew between two windows of months.
public struct TypologyGrowth: Sendable, Hashable, Codable {
    /// The jurisdiction, or nil when the row counts every jurisdiction asked for.
    public let jurisdiction: String?
    /// The typology.
    public let typology: Typology
    /// Reports in the recent window.
    public let recent: Int
    /// Reports in the window before it.
    public let previous: Int
    /// `recent` over `previous`, with a previous count of zero taken as one.
    public let ratio: Double
}

// MARK: - Internals

extension Landscape {
    /// A cell's key: jurisdiction, typology and month index (`year * 12 + month - 1`).
    struct Key: Sendable, Hashable {
        let jurisdiction: String
        let typology: Typology
        let month: Int

        init(_ jurisdiction: String, _ typology: Typology, _ month: Int) {
            self.jurisdiction = jurisdiction
            self.typology = typology
            self.month = month
        }
    }

    /// A jurisdiction and typology, without the month.
    struct PairKey: Sendable, Hashable {
        let jurisdiction: String
        let typology: Typology
    }

    /// A typology, with its jurisdiction when rows are broken down by jurisdiction.
    struct GroupKey: Sendable, Hashable {
        let jurisdiction: String?
        let typology: Typology
    }

    /// The figures of one cell or one sum of cells.
    struct Tally: Sendable, Hashable {
        var reports = 0
        var victims = 0
        var loss = 0.0
        var lossReports = 0
        var unconverted = 0

        init() {}

        init(_ cell: LandscapeCell) {
            reports = cell.reports
            victims = cell.victims
            loss = cell.loss
            lossReports = cell.lossReports
            unconverted = cell.unconverted
        }

        var isEmpty: Bool { reports == 0 && victims == 0 && lossReports == 0 && unconverted == 0 && loss == 0 }

        mutating func add(_ other: Tally) {
            reports += other.reports
            victims += other.victims
            loss += other.loss
            lossReports += other.lossReports
            unconverted += other.unconverted
        }

        /// The same figures with losses multiplied by `factor`, or moved to `unconverted` when it is nil.
        func converted(by factor: Double?) -> Tally {
            var out = self
            if let factor {
                out.loss = loss * factor
            } else {
                out.loss = 0
                out.unconverted += lossReports
                out.lossReports = 0
            }
            return out
        }
    }

    /// The node's own figures for a cell and those merged in from peers.
    struct Entry: Sendable, Hashable {
        var own = Tally()
        var peers = Tally()

        var total: Tally {
            var sum = own
            sum.add(peers)
            return sum
        }
    }

    /// The factor converting amounts in `currency` to `rates.base`, or nil when there is no usable rate.
    static func factor(from currency: String, rates: ExchangeRates) -> Double? {
        if currency == rates.base { return 1 }
        guard let rate = rates.rates[currency], rate.isFinite, rate >= 0 else { return nil }
        return rate
    }

    static func cell(_ key: Key, _ tally: Tally) -> LandscapeCell {
        LandscapeCell(
            jurisdiction: key.jurisdiction,
            typology: key.typology,
            month: Month.text(key.month),
            reports: tally.reports,
            victims: tally.victims,
            loss: tally.loss,
            lossReports: tally.lossReports,
            unconverted: tally.unconverted
        )
    }

    static let typologyRanks: [Typology: Int] = Dictionary(
        uniqueKeysWithValues: Typology.allCases.enumerated().map { ($0.element, $0.offset) }
    )

    /// A typology's position in `Typology.allCases`.
    static func rank(_ typology: Typology) -> Int { typologyRanks[typology] ?? Int.max }

    /// Orders keys by jurisdiction, typology, then month.
    static func precedes(_ a: Key, _ b: Key) -> Bool {
        if a.jurisdiction != b.jurisdiction { return a.jurisdiction < b.jurisdiction }
        if a.typology != b.typology { return rank(a.typology) < rank(b.typology) }
        return a.month < b.month
    }

    /// The month indices from `from` to `to`, unbounded where nil.
    static func bounds(from: String?, to: String?) throws(LandscapeError) -> ClosedRange<Int> {
        var lower = Int.min
        var upper = Int.max
        if let from {
            guard let index = Month.index(from) else { throw LandscapeError.invalidMonth(from) }
            lower = index
        }
        if let to {
            guard let index = Month.index(to) else { throw LandscapeError.invalidMonth(to) }
            upper = index
        }
        guard lower <= upper else { throw LandscapeError.invalidRange(from: from ?? "", to: to ?? "") }
        return lower...upper
    }

    /// A coding path as a JSON pointer (`/cells/3`); empty at the top level.
    static func pointer(_ path: [any CodingKey]) -> String {
        path.map { key in
            if let index = key.intValue { return "/\(index)" }
            return "/" + key.stringValue
        }.joined()
    }

    /// Calendar months as integers (`year * 12 + month - 1`) and as `YYYY-MM` text, in UTC.
    enum Month {
        /// The month `timestamp` falls in, in UTC; nil outside the years 0000 to 9999.
        static func index(of timestamp: Timestamp) -> Int? {
            let ms = Int(timestamp.milliseconds)
            var days = ms / 86_400_000
            if ms % 86_400_000 < 0 { days -= 1 }
            // Civil date from a day count (Howard Hinnant's days-to-civil algorithm), keeping year and month.
            let z = days + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let dayOfEra = z - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let shiftedMonth = (5 * dayOfYear + 2) / 153
            let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
            let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
            guard year >= 0, year <= 9999 else { return nil }
            return year * 12 + month - 1
        }

        /// The index of a `YYYY-MM` month, or nil when `text` is not one.
        static func index(_ text: String) -> Int? {
            let b = Array(text.utf8)
            guard b.count == 7, b[4] == UInt8(ascii: "-") else { return nil }
            let zero = UInt8(ascii: "0")
            let digits = zero...UInt8(ascii: "9")
            var year = 0
            for i in 0..<4 {
                guard digits.contains(b[i]) else { return nil }
                year = year * 10 + Int(b[i] - zero)
            }
            var month = 0
            for i in 5..<7 {
                guard digits.contains(b[i]) else { return nil }
                month = month * 10 + Int(b[i] - zero)
            }
            guard month >= 1, month <= 12 else { return nil }
            return year * 12 + month - 1
        }

        /// `YYYY-MM` for a month index (years outside 0000 to 9999 are clamped to them).
        static func text(_ index: Int) -> String {
            let clamped = min(max(index, 0), 9999 * 12 + 11)
            let year = clamped / 12
            let month = clamped % 12 + 1
            let digits: [Int] = [year / 1000, year / 100 % 10, year / 10 % 10, year % 10, -1, month / 10, month % 10]
            let bytes = digits.map { $0 < 0 ? UInt8(ascii: "-") : UInt8(ascii: "0") + UInt8($0) }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
