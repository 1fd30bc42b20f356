public import ConcordCore

/// Links reports that share identifiers into campaigns, one report at a time or all at once.
///
/// Two reports are linked when they name the same identifier (the same key `kind:canonical`), and a
/// campaign is a connected group of linked reports: if A and B share a phone number and B and C share
/// a bank account, A, B and C are one campaign. Groups are kept in a union-find forest over report
/// indices (union by size, path halving), so adding a report costs a few dictionary look-ups and
/// near-constant time per identifier, not a rebuild.
///
/// Not every shared identifier is evidence of one operation:
/// - Identifiers on the policy's warning list never link (see `LinkPolicy.defaultWarningList`; the
///   operator adds their own with `addOperatorWarnings(_:)`).
/// - Very common identifiers stop linking (see `LinkPolicy` for the rule), so that one payment gateway
///   named by a thousand unrelated victims does not merge a thousand cases. When an identifier becomes
///   common, the unions it made earlier are not undone on the spot: `needsRebuild` is set, and
///   `rebuild()` recomputes every group. Retractions and new operator warnings do the same.
///
/// Until `rebuild()` runs after one of those, groups can be larger than they should be. A retracted
/// report leaves its campaign's report list, report count, victims, typologies and losses at once,
/// but the campaign keeps its id, jurisdictions, first and last seen dates and the links made through
/// the retracted report until the rebuild. The node should rebuild when `needsRebuild` is set (after a
/// batch of records, or before serving campaign pages).
///
/// Campaign ids are `c-` followed by 16 hex digits taken from the campaign's earliest report (earliest
/// `occurredAt`, ties broken by report id): the first 16 digits of its id when it is a hex record id,
/// otherwise a stable 64-bit FNV-1a hash of the id. So the id is the same across rebuilds and on every
/// node that holds the same reports, whatever the order they arrived in; it changes when a report that
/// happened earlier joins the campaign, or when two campaigns merge.
///
/// Reports are stored compactly: interned identifier keys, each report's identifier indices in one flat
/// array with offsets, and per-group aggregates kept at the group's root and merged on union, so a
/// campaign is read in time proportional to its size. Holds up to 2^31 reports and identifiers.
public struct CampaignLinker: Sendable {
    /// Which identifiers may link reports.
    ///
    /// The down-weighting rule: an identifier named by at most `commonAfter` reports always links
    /// (unless it is on the warning list). Beyond that it is judged common, a hub that is shown on
    /// campaigns but no longer links, when its reports are mixed: when the typology most of its reports
    /// are filed under covers less than `commonTypologyShare` of them. A payment gateway or a bank
    /// switchboard serves every kind of scam; one scam number reported by 400 victims of one job scam
    /// does not, and keeps linking. An identifier named by more than `hardCap` reports is common
    /// whatever its typologies. Counts leave out retracted reports, and the judgement is revisited as
    /// counts change, so an identifier can become common and, after more reports of one kind, link again.
    public struct LinkPolicy: Sendable, Hashable {
        /// Identifier keys that never link, as `kind:canonical` (the form of `ReportFacts.identifiers`).
        ///
        /// A `domain:` entry also covers the domain's sub-domains that belong to the same registrable
        /// domain (`domain:google.com` covers `domain:docs.google.com`), never names registered under a
        /// public suffix below it.
        public var warningList: Set<String>
        /// Up to this many reports, an identifier always links.
        public var commonAfter: Int
        /// Above `commonAfter` reports, an identifier whose most frequent typology covers less than this
        /// share of its reports is common.
        public var commonTypologyShare: Double
        /// Above this many reports an identifier is common whatever its typologies (it never applies
        /// at or below `commonAfter`).
        public var hardCap: Int

        /// Creates a policy.
        /// - Parameters:
        ///   - warningList: keys that never link; `defaultWarningList` unless given.
        ///   - commonAfter: reports up to which an identifier always links (negative reads as 0).
        ///   - commonTypologyShare: the top typology's share below which a busier identifier is common.
        ///   - hardCap: reports above which an identifier is common regardless of typology.
        public init(
            warningList: Set<String> = LinkPolicy.defaultWarningList,
            commonAfter: Int = 50,
            commonTypologyShare: Double = 0.6,
            hardCap: Int = 2000
        ) {
            self.warningList = warningList
            self.commonAfter = max(0, commonAfter)
            self.commonTypologyShare = commonTypologyShare
            self.hardCap = hardCap
        }

        /// Whether an identifier named by `reports` reports, `topTypology` of them under its most
        /// frequent typology, is common.
        public func isCommon(reports: Int, topTypology: Int) -> Bool {
            if reports <= commonAfter { return false }
            if reports > hardCap { return true }
            return Double(topTypology) < commonTypologyShare * Double(reports)
        }
    }

    /// What adding a report did, for the caller to act on (a cross-border alert, a page update).
    public struct LinkOutcome: Sendable, Hashable {
        /// What happened to the report.
        public enum Status: Sendable, Hashable {
            /// The report is new and was linked.
            case added
            /// A report with this id was already held; nothing changed.
            case duplicate
            /// The report had been retracted before it arrived; it is kept out of every campaign.
            case retracted
        }

        /// The report's id.
        public let reportID: String
        /// What happened to the report.
        public let status: Status
        /// The campaign the report is now in (a group of one when it links to nothing), nil when the
        /// report is retracted.
        public let campaignID: String?
        /// Whether the add joined the report to at least one group of earlier reports.
        public let joinedExisting: Bool
        /// How many reports the campaign now holds.
        public let reportCount: Int
        /// The jurisdictions this add brought into a group that already had reports (sorted): those of
        /// the resulting campaign that at least one of the earlier groups it joined did not have.
        /// Empty when the report joined nothing.
        public let newJurisdictions: [String]
        /// The jurisdictions of the resulting campaign, sorted.
        public let jurisdictions: [String]

        /// Whether the node should alert the analysts of the campaign's reports: the campaign spans two
        /// or more jurisdictions and this add changed its set of jurisdictions.
        public var raisesCrossBorderAlert: Bool {
            jurisdictions.count >= 2 && !newJurisdictions.isEmpty
        }
    }

    /// The rule deciding which identifiers link.
    public private(set) var policy: LinkPolicy
    /// Whether groups may hold unions that should be undone (an identifier became common or was
    /// warning-listed, or a report was retracted) or miss some (an identifier stopped being common);
    /// `rebuild()` puts them right.
    public private(set) var needsRebuild = false

    // MARK: Reports (indexed by report index)

    private var reportIDs: [String] = []
    private var reportIndex: [String: Int32] = [:]
    private var reportOrigin: [Int32] = []
    private var reportJurisdiction: [Int32] = []
    private var reportTypology: [UInt8] = []
    private var reportTime: [Int64] = []
    private var reportVictims: [Int64] = []
    /// Interned currency of the reported loss, -1 when none was reported.
    private var reportLossCurrency: [Int32] = []
    private var reportLossMinor: [Int64] = []
    private var retracted: [Bool] = []
    /// `reportIdentifiers[identifierStart[r] ..< identifierStart[r + 1]]` are report r's identifiers.
    private var identifierStart: [Int] = [0]
    private var reportIdentifiers: [Int32] = []
    /// Retractions of reports not yet seen: the report is kept out when it arrives.
    /// Retractions that arrived before their report: report id -> the retracting origin.
    private var pendingRetractions: [String: String] = [:]
    /// Campaign key (see `campaignKey(ofReportID:)`) to the first report holding it.
    private var campaignKeys: [UInt64: Int32] = [:]
    private var liveReports = 0

    private var origins = Names()
    private var jurisdictions = Names()
    private var currencies = Names()

    // MARK: Identifiers (indexed by identifier index)

    private var identifierKeys: [String] = []
    private var identifierIndex: [String: Int32] = [:]
    /// Live (not retracted) reports naming the identifier.
    private var identifierReports: [Int32] = []
    /// The first live report naming it: a new report naming it is united with this one.
    private var identifierFirst: [Int32] = []
    private var identifierState: [UInt8] = []
    /// The typology of all its reports while they share one.
    private var identifierTypology: [UInt8] = []
    /// -1 while its reports share one typology, else a slot of `typologyCounts` in `mixedCounts`.
    private var identifierMixed: [Int32] = []
    private var mixedCounts: [Int32] = []

    // MARK: Groups (indexed by report index; aggregates valid at roots)

    private var parent: [Int32] = []
    /// Live reports in the group.
    private var groupSize: [Int32] = []
    /// Members form a ring through `nextMember`, spliced in constant time on union.
    private var nextMember: [Int32] = []
    private var groupEarliest: [Int32] = []
    private var groupLatest: [Int64] = []
    /// Aggregate slot of a group of two or more, -1 for a group of one (read from its report).
    private var groupSlot: [Int32] = []

    // MARK: Aggregate slots

    private var slotVictims: [Int64] = []
    private var slotTypologies: [Int32] = []
    private var slotJurisdictions: [[Int32]] = []
    private var slotLosses: [[LossSum]] = []
    private var freeSlots: [Int32] = []

    /// Creates an empty linker.
    /// - Parameter policy: which identifiers may link.
    public init(policy: LinkPolicy = LinkPolicy()) {
        self.policy = policy
    }

    /// The number of reports held, leaving out retracted ones.
    public var reportCount: Int { liveReports }

    /// The number of distinct identifiers the reports name.
    public var identifierCount: Int { identifierKeys.count }

    /// The identifiers judged too common to link, sorted.
    public var commonIdentifiers: [String] {
        var keys: [String] = []
        for x in 0..<identifierKeys.count where identifierState[x] == IdentifierState.common {
            keys.append(identifierKeys[x])
        }
        return keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Reserves room ahead of a bulk load.
    /// - Parameters:
    ///   - reports: reports expected in total.
    ///   - identifiers: distinct identifiers expected.
    ///   - links: report-identifier pairs expected.
    public mutating func reserveCapacity(reports: Int, identifiers: Int = 0, links: Int = 0) {
        let reports = max(0, reports)
        let identifiers = max(0, identifiers)
        reportIDs.reserveCapacity(reports)
        reportIndex.reserveCapacity(reports)
        reportOrigin.reserveCapacity(reports)
        reportJurisdiction.reserveCapacity(reports)
        reportTypology.reserveCapacity(reports)
        reportTime.reserveCapacity(reports)
        reportVictims.reserveCapacity(reports)
        reportLossCurrency.reserveCapacity(reports)
        reportLossMinor.reserveCapacity(reports)
        retracted.reserveCapacity(reports)
        identifierStart.reserveCapacity(reports + 1)
        campaignKeys.reserveCapacity(reports)
        parent.reserveCapacity(reports)
        groupSize.reserveCapacity(reports)
        nextMember.reserveCapacity(reports)
        groupEarliest.reserveCapacity(reports)
        groupLatest.reserveCapacity(reports)
        groupSlot.reserveCapacity(reports)
        reportIdentifiers.reserveCapacity(max(0, links))
        identifierKeys.reserveCapacity(identifiers)
        identifierIndex.reserveCapacity(identifiers)
        identifierReports.reserveCapacity(identifiers)
        identifierFirst.reserveCapacity(identifiers)
        identifierState.reserveCapacity(identifiers)
        identifierTypology.reserveCapacity(identifiers)
        identifierMixed.reserveCapacity(identifiers)
    }

    // MARK: - Adding and retracting

    /// Adds a report and links it with every earlier report that shares a linking identifier.
    ///
    /// A report id already held is ignored (`status == .duplicate`); a report retracted before it
    /// arrived is kept but never linked (`status == .retracted`).
    /// - Parameter report: the report's facts.
    /// - Returns: the campaign the report is now in, whether it joined earlier reports, and the
    ///   jurisdictions it brought in, for cross-border alerts.
    @discardableResult
    public mutating func add(_ report: ReportFacts) -> LinkOutcome {
        let (index, isNew) = store(report)
        let r = Int(index)
        guard isNew else {
            if retracted[r] {
                return LinkOutcome(
                    reportID: report.id,
                    status: .duplicate,
                    campaignID: nil,
                    joinedExisting: false,
                    reportCount: 0,
                    newJurisdictions: [],
                    jurisdictions: []
                )
            }
            let root = find(index)
            return LinkOutcome(
                reportID: report.id,
                status: .duplicate,
                campaignID: campaignID(ofRoot: root),
                joinedExisting: false,
                reportCount: Int(groupSize[Int(root)]),
                newJurisdictions: [],
                jurisdictions: names(of: jurisdictionSet(ofRoot: root))
            )
        }
        guard !retracted[r] else {
            return LinkOutcome(
                reportID: report.id,
                status: .retracted,
                campaignID: nil,
                joinedExisting: false,
                reportCount: 0,
                newJurisdictions: [],
                jurisdictions: []
            )
        }
        return link(index)
    }

    /// Adds many reports and links them all with one `rebuild()`: the fast way to load a node's
    /// reports at start. Duplicates and reports retracted earlier are handled as by `add(_:)`.
    ///
    /// The rebuild costs time in proportion to every report held, so add single reports with `add(_:)`.
    /// - Parameter reports: the reports' facts.
    public mutating func add(contentsOf reports: some Sequence<ReportFacts>) {
        for report in reports {
            _ = store(report)
        }
        rebuild()
    }

    /// Retracts a report: it leaves its campaign and stops counting towards its identifiers.
    ///
    /// Sets `needsRebuild`: the campaign may split without the report. A retraction of a report not
    /// yet held is remembered, and the report is kept out when it arrives.
    /// - Parameter reportID: the retracted report's id.
    public mutating func retract(reportID: String) {
        guard let index = reportIndex[reportID] else { return }
        retract(index: Int(index))
    }

    /// Withdraws a report on the word of `origin`: only the node that wrote a report can withdraw it. A
    /// retraction that arrives before its report is remembered (one per report id) and applied when the report
    /// comes, if their origins match.
    public mutating func retract(reportID: String, by origin: String) {
        guard let index = reportIndex[reportID] else {
            if pendingRetractions.count < 1_000_000 { pendingRetractions[reportID] = origin }
            return
        }
        guard origins.names[Int(reportOrigin[Int(index)])] == origin else { return }
        retract(index: Int(index))
    }

    private mutating func retract(index: Int) {
        let r = index
        guard !retracted[r] else { return }
        retracted[r] = true
        liveReports -= 1
        let typology = Int(reportTypology[r])
        for k in identifierStart[r]..<identifierStart[r + 1] {
            forgetReport(naming: Int(reportIdentifiers[k]), typology: typology)
        }
        let root = Int(find(Int32(index)))
        groupSize[root] -= 1
        let slot = groupSlot[root]
        if slot >= 0 {
            removeReport(r, fromSlot: Int(slot))
        }
        needsRebuild = true
    }

    /// Adds keys to the warning list (an operator's own: bank switchboards, local platforms).
    ///
    /// Sets `needsRebuild` when a newly listed identifier had already linked reports.
    /// - Parameter keys: identifier keys as `kind:canonical`; a `domain:` key also covers its
    ///   sub-domains under the same registrable domain.
    public mutating func addOperatorWarnings(_ keys: some Sequence<String>) {
        var added: [String] = []
        for key in keys {
            if policy.warningList.insert(key).inserted {
                added.append(key)
            }
        }
        guard !added.isEmpty else { return }
        var hasDomain = false
        for key in added {
            if let x = identifierIndex[key] {
                warn(Int(x))
            }
            if key.hasPrefix(Self.domainPrefix) {
                hasDomain = true
            }
        }
        guard hasDomain else { return }
        for x in 0..<identifierKeys.count where identifierState[x] != IdentifierState.warned {
            let key = identifierKeys[x]
            if key.hasPrefix(Self.domainPrefix), isWarned(key) {
                warn(x)
            }
        }
    }

    /// Recomputes every group from the stored reports, leaving out retracted reports and
    /// warning-listed or common identifiers, and clears `needsRebuild`.
    ///
    /// Runs in time linear in the number of report-identifier links (times the inverse Ackermann
    /// function); campaign ids do not change unless membership does.
    public mutating func rebuild() {
        let n = reportIDs.count
        for x in 0..<identifierKeys.count {
            identifierFirst[x] = -1
            guard identifierState[x] != IdentifierState.warned else { continue }
            identifierState[x] = isCommon(x) ? IdentifierState.common : IdentifierState.linking
        }
        slotVictims.removeAll(keepingCapacity: true)
        slotTypologies.removeAll(keepingCapacity: true)
        slotJurisdictions.removeAll(keepingCapacity: true)
        slotLosses.removeAll(keepingCapacity: true)
        freeSlots.removeAll(keepingCapacity: true)
        for r in 0..<n {
            let ri = Int32(r)
            parent[r] = ri
            groupSize[r] = retracted[r] ? 0 : 1
            nextMember[r] = ri
            groupEarliest[r] = ri
            groupLatest[r] = reportTime[r]
            groupSlot[r] = -1
        }

        // Unions only: sizes for union by size, no aggregates yet.
        for r in 0..<n where !retracted[r] {
            let ri = Int32(r)
            for k in identifierStart[r]..<identifierStart[r + 1] {
                let x = Int(reportIdentifiers[k])
                let first = identifierFirst[x]
                if first < 0 {
                    identifierFirst[x] = ri
                    continue
                }
                guard identifierState[x] == IdentifierState.linking else { continue }
                let a = find(ri)
                let b = find(first)
                guard a != b else { continue }
                if groupSize[Int(a)] < groupSize[Int(b)] {
                    parent[Int(a)] = b
                    groupSize[Int(b)] += groupSize[Int(a)]
                } else {
                    parent[Int(b)] = a
                    groupSize[Int(a)] += groupSize[Int(b)]
                }
            }
        }

        // Aggregates, member rings and earliest/latest, one pass; every member then points at its root.
        for r in 0..<n where !retracted[r] {
            let ri = Int32(r)
            let root = find(ri)
            parent[r] = root
            guard root != ri else { continue }
            let rootIndex = Int(root)
            nextMember[r] = nextMember[rootIndex]
            nextMember[rootIndex] = ri
            if precedes(ri, groupEarliest[rootIndex]) {
                groupEarliest[rootIndex] = ri
            }
            groupLatest[rootIndex] = max(groupLatest[rootIndex], reportTime[r])
            let target = slot(forRoot: rootIndex)
            addReport(r, toSlot: target)
        }
        needsRebuild = false
    }

    // MARK: - Reading

    /// The campaign with this id.
    ///
    /// An id whose campaign has since merged into one with an earlier report resolves to the merged
    /// campaign, whose `id` differs: callers can redirect to it.
    /// - Parameters:
    ///   - id: a campaign id, `c-` and 16 hex digits.
    ///   - now: the time growth is measured up to.
    /// - Returns: the campaign, or nil when the id is malformed or names no live campaign.
    public func campaign(id: String, now: Timestamp) -> Campaign? {
        guard let key = Self.campaignKey(ofCampaignID: id), let index = campaignKeys[key] else { return nil }
        return makeCampaign(root: root(of: index), now: now)
    }

    /// The campaign a report is in (a campaign of one when it links to nothing).
    /// - Parameters:
    ///   - reportID: the report's id.
    ///   - now: the time growth is measured up to.
    /// - Returns: the campaign, or nil when the report is unknown or retracted.
    public func campaign(containingReport reportID: String, now: Timestamp) -> Campaign? {
        guard let index = reportIndex[reportID], !retracted[Int(index)] else { return nil }
        return makeCampaign(root: root(of: index), now: now)
    }

    /// Campaigns, largest first, then by id.
    /// - Parameters:
    ///   - minimumReports: leave out campaigns with fewer reports (at least 1).
    ///   - crossBorderOnly: keep only campaigns spanning two or more jurisdictions.
    ///   - limit: at most this many campaigns (the largest); all when nil.
    ///   - now: the time growth is measured up to.
    public func campaigns(
        minimumReports: Int = 2,
        crossBorderOnly: Bool = false,
        limit: Int? = nil,
        now: Timestamp
    ) -> [Campaign] {
        let minimum = max(1, minimumReports)
        var chosen: [(root: Int32, size: Int32, key: UInt64)] = []
        for r in 0..<parent.count where parent[r] == Int32(r) {
            let size = groupSize[r]
            guard Int(size) >= minimum else { continue }
            if crossBorderOnly && jurisdictionCount(ofRoot: r) < 2 { continue }
            chosen.append((Int32(r), size, Self.campaignKey(ofReportID: reportIDs[Int(groupEarliest[r])])))
        }
        chosen.sort { $0.size != $1.size ? $0.size > $1.size : $0.key < $1.key }
        if let limit, chosen.count > max(0, limit) {
            chosen.removeSubrange(max(0, limit)...)
        }
        return chosen.compactMap { makeCampaign(root: $0.root, now: now) }
    }

    // MARK: - Storing

    /// Stores a report's facts and counts its identifiers; returns its index and whether it is new.
    private mutating func store(_ report: ReportFacts) -> (index: Int32, isNew: Bool) {
        let candidate = Int32(reportIDs.count)
        let index = Self.value(&reportIndex[report.id, default: candidate])
        guard index == candidate else { return (index, false) }

        reportIDs.append(report.id)
        reportOrigin.append(origins.intern(report.origin))
        reportJurisdiction.append(jurisdictions.intern(report.jurisdiction))
        let typology = Self.ordinal(report.typology)
        reportTypology.append(UInt8(typology))
        let time = report.occurredAt.milliseconds
        reportTime.append(time)
        reportVictims.append(Int64(max(0, report.victims)))
        if let loss = report.loss {
            reportLossCurrency.append(currencies.intern(loss.currency))
            reportLossMinor.append(loss.minorUnits)
        } else {
            reportLossCurrency.append(-1)
            reportLossMinor.append(0)
        }
        let isRetracted =
            !pendingRetractions.isEmpty && pendingRetractions.removeValue(forKey: report.id) == report.origin
        retracted.append(isRetracted)

        parent.append(candidate)
        groupSize.append(isRetracted ? 0 : 1)
        nextMember.append(candidate)
        groupEarliest.append(candidate)
        groupLatest.append(time)
        groupSlot.append(-1)

        let key = Self.campaignKey(ofReportID: report.id)
        if campaignKeys[key] == nil {
            campaignKeys[key] = candidate
        }

        // ReportFacts promises no duplicate identifiers; a report that has some still counts each once.
        let start = reportIdentifiers.count
        let many = report.identifiers.count > 16
        var seen = Set<Int32>()
        for identifier in report.identifiers {
            let x = intern(identifier)
            if many {
                guard seen.insert(x).inserted else { continue }
            } else if reportIdentifiers[start...].contains(x) {
                continue
            }
            reportIdentifiers.append(x)
        }
        identifierStart.append(reportIdentifiers.count)

        if !isRetracted {
            liveReports += 1
            for k in start..<reportIdentifiers.count {
                noteReport(naming: Int(reportIdentifiers[k]), report: candidate, typology: typology)
            }
        }
        return (candidate, true)
    }

    /// The index of an identifier key, interning it on first sight.
    private mutating func intern(_ key: String) -> Int32 {
        let candidate = Int32(identifierKeys.count)
        let x = Self.value(&identifierIndex[key, default: candidate])
        if x == candidate {
            identifierKeys.append(key)
            identifierReports.append(0)
            identifierFirst.append(-1)
            identifierState.append(isWarned(key) ? IdentifierState.warned : IdentifierState.linking)
            identifierTypology.append(0)
            identifierMixed.append(-1)
        }
        return x
    }

    /// Counts one more live report naming identifier `x` and revisits whether it is common.
    private mutating func noteReport(naming x: Int, report: Int32, typology: Int) {
        let before = Int(identifierReports[x])
        if identifierFirst[x] < 0 {
            identifierFirst[x] = report
        }
        let mixed = identifierMixed[x]
        if mixed >= 0 {
            mixedCounts[Int(mixed) * Self.typologyCount + typology] += 1
        } else if before == 0 {
            identifierTypology[x] = UInt8(typology)
        } else if Int(identifierTypology[x]) != typology {
            let slot = mixedCounts.count / Self.typologyCount
            mixedCounts.append(contentsOf: repeatElement(0, count: Self.typologyCount))
            mixedCounts[slot * Self.typologyCount + Int(identifierTypology[x])] = Int32(before)
            mixedCounts[slot * Self.typologyCount + typology] = 1
            identifierMixed[x] = Int32(slot)
        }
        identifierReports[x] = Int32(before + 1)

        let state = identifierState[x]
        guard state != IdentifierState.warned else { return }
        let common = isCommon(x)
        guard common != (state == IdentifierState.common) else { return }
        identifierState[x] = common ? IdentifierState.common : IdentifierState.linking
        // With two or more earlier reports, links through x were made that must go, or are missing.
        if before >= 2 {
            needsRebuild = true
        }
    }

    /// Counts one report fewer naming identifier `x`; whether it is common is revisited by `rebuild()`.
    private mutating func forgetReport(naming x: Int, typology: Int) {
        identifierReports[x] -= 1
        let mixed = identifierMixed[x]
        if mixed >= 0 {
            mixedCounts[Int(mixed) * Self.typologyCount + typology] -= 1
        }
    }

    /// Whether identifier `x` is common by the policy, given its current counts.
    private func isCommon(_ x: Int) -> Bool {
        let reports = Int(identifierReports[x])
        guard reports > policy.commonAfter else { return false }
        var top = reports
        let mixed = identifierMixed[x]
        if mixed >= 0 {
            top = 0
            let base = Int(mixed) * Self.typologyCount
            for t in 0..<Self.typologyCount {
                top = max(top, Int(mixedCounts[base + t]))
            }
        }
        return policy.isCommon(reports: reports, topTypology: top)
    }

    /// Marks identifier `x` warning-listed.
    private mutating func warn(_ x: Int) {
        if identifierState[x] == IdentifierState.linking && identifierReports[x] >= 2 {
            needsRebuild = true
        }
        identifierState[x] = IdentifierState.warned
    }

    /// Whether a key is on the warning list, itself or (for a domain) through a parent domain under
    /// the same registrable domain.
    private func isWarned(_ key: String) -> Bool {
        if policy.warningList.contains(key) { return true }
        guard key.hasPrefix(Self.domainPrefix) else { return false }
        let host = String(key.dropFirst(Self.domainPrefix.count))
        var rest = Substring(host)
        let dot = UInt8(ascii: ".")
        while let found = rest.utf8.firstIndex(of: dot) {
            rest = rest[rest.utf8.index(after: found)...]
            guard rest.utf8.contains(dot) else { break }
            guard policy.warningList.contains(Self.domainPrefix + String(rest)) else { continue }
            // `scam.github.io` is not covered by an entry `github.io`: its registrable domain is itself.
            if let registrable = PublicSuffixList.shared.registrableDomain(of: host),
                rest.utf8.count >= registrable.utf8.count
            {
                return true
            }
        }
        return false
    }

    // MARK: - Linking

    /// Unites a new, live report with the groups of earlier reports sharing its linking identifiers.
    private mutating func link(_ index: Int32) -> LinkOutcome {
        let r = Int(index)
        var roots: [Int32] = []
        for k in identifierStart[r]..<identifierStart[r + 1] {
            let x = Int(reportIdentifiers[k])
            guard identifierState[x] == IdentifierState.linking else { continue }
            let first = identifierFirst[x]
            guard first >= 0, first != index else { continue }
            let root = find(first)
            if groupSize[Int(root)] > 0, !roots.contains(root) {
                roots.append(root)
            }
        }
        guard !roots.isEmpty else {
            return LinkOutcome(
                reportID: reportIDs[r],
                status: .added,
                campaignID: campaignID(ofRoot: index),
                joinedExisting: false,
                reportCount: 1,
                newJurisdictions: [],
                jurisdictions: [jurisdictions.names[Int(reportJurisdiction[r])]]
            )
        }
        var shared = jurisdictionSet(ofRoot: roots[0])
        for root in roots.dropFirst() where !shared.isEmpty {
            let other = jurisdictionSet(ofRoot: root)
            shared.removeAll { !other.contains($0) }
        }
        var current = index
        for root in roots {
            current = unite(current, root)
        }
        let after = jurisdictionSet(ofRoot: current)
        let brought = after.filter { !shared.contains($0) }
        return LinkOutcome(
            reportID: reportIDs[r],
            status: .added,
            campaignID: campaignID(ofRoot: current),
            joinedExisting: true,
            reportCount: Int(groupSize[Int(current)]),
            newJurisdictions: names(of: brought),
            jurisdictions: names(of: after)
        )
    }

    /// Unites two groups given by their roots, merging their aggregates; returns the new root.
    private mutating func unite(_ a: Int32, _ b: Int32) -> Int32 {
        var big = a
        var small = b
        if groupSize[Int(big)] < groupSize[Int(small)] {
            swap(&big, &small)
        }
        let bi = Int(big)
        let si = Int(small)
        parent[si] = big
        groupSize[bi] += groupSize[si]
        if precedes(groupEarliest[si], groupEarliest[bi]) {
            groupEarliest[bi] = groupEarliest[si]
        }
        groupLatest[bi] = max(groupLatest[bi], groupLatest[si])
        nextMember.swapAt(bi, si)
        mergeAggregates(into: bi, from: si)
        return big
    }

    /// The root of report `x`'s group, halving the path on the way.
    private mutating func find(_ x: Int32) -> Int32 {
        var x = Int(x)
        while true {
            let p = parent[x]
            if Int(p) == x { return p }
            let grandparent = parent[Int(p)]
            parent[x] = grandparent
            x = Int(grandparent)
        }
    }

    /// The root of report `x`'s group, without changing the forest.
    private func root(of x: Int32) -> Int32 {
        var x = x
        while parent[Int(x)] != x {
            x = parent[Int(x)]
        }
        return x
    }

    /// Whether report `a` comes before report `b`: earlier `occurredAt`, ties by report id.
    private func precedes(_ a: Int32, _ b: Int32) -> Bool {
        let ta = reportTime[Int(a)]
        let tb = reportTime[Int(b)]
        if ta != tb { return ta < tb }
        return reportIDs[Int(a)].utf8.lexicographicallyPrecedes(reportIDs[Int(b)].utf8)
    }

    // MARK: - Aggregates

    /// The aggregate slot of a root, made (holding the root's own report) if it has none.
    private mutating func slot(forRoot root: Int) -> Int {
        let existing = groupSlot[root]
        if existing >= 0 { return Int(existing) }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = Int(free)
        } else {
            slot = slotVictims.count
            slotVictims.append(0)
            slotTypologies.append(contentsOf: repeatElement(0, count: Self.typologyCount))
            slotJurisdictions.append([])
            slotLosses.append([])
        }
        groupSlot[root] = Int32(slot)
        if !retracted[root] {
            addReport(root, toSlot: slot)
        }
        return slot
    }

    /// Adds the aggregates of the group rooted at `small` to the group rooted at `big`.
    private mutating func mergeAggregates(into big: Int, from small: Int) {
        let target = slot(forRoot: big)
        let source = groupSlot[small]
        guard source >= 0 else {
            if !retracted[small] {
                addReport(small, toSlot: target)
            }
            return
        }
        let s = Int(source)
        slotVictims[target] = Self.adding(slotVictims[target], slotVictims[s])
        for t in 0..<Self.typologyCount {
            slotTypologies[target * Self.typologyCount + t] += slotTypologies[s * Self.typologyCount + t]
            slotTypologies[s * Self.typologyCount + t] = 0
        }
        let sourceJurisdictions = slotJurisdictions[s]
        for j in sourceJurisdictions {
            Self.insertSorted(j, into: &slotJurisdictions[target])
        }
        let sourceLosses = slotLosses[s]
        for loss in sourceLosses {
            Self.addLoss(currency: loss.currency, minor: loss.minor, reports: loss.reports, to: &slotLosses[target])
        }
        slotVictims[s] = 0
        slotJurisdictions[s] = []
        slotLosses[s] = []
        groupSlot[small] = -1
        freeSlots.append(source)
    }

    private mutating func addReport(_ r: Int, toSlot slot: Int) {
        slotVictims[slot] = Self.adding(slotVictims[slot], reportVictims[r])
        slotTypologies[slot * Self.typologyCount + Int(reportTypology[r])] += 1
        Self.insertSorted(reportJurisdiction[r], into: &slotJurisdictions[slot])
        let currency = reportLossCurrency[r]
        if currency >= 0 {
            Self.addLoss(currency: currency, minor: reportLossMinor[r], reports: 1, to: &slotLosses[slot])
        }
    }

    /// Takes a retracted report out of its group's sums (jurisdictions wait for `rebuild()`).
    private mutating func removeReport(_ r: Int, fromSlot slot: Int) {
        slotVictims[slot] = Self.subtracting(slotVictims[slot], reportVictims[r])
        slotTypologies[slot * Self.typologyCount + Int(reportTypology[r])] -= 1
        let currency = reportLossCurrency[r]
        if currency >= 0, let i = slotLosses[slot].firstIndex(where: { $0.currency == currency }) {
            slotLosses[slot][i].minor = Self.subtracting(slotLosses[slot][i].minor, reportLossMinor[r])
            slotLosses[slot][i].reports -= 1
        }
    }

    /// Interned jurisdictions of a group, sorted by interned index.
    private func jurisdictionSet(ofRoot root: Int32) -> [Int32] {
        let r = Int(root)
        let slot = groupSlot[r]
        if slot >= 0 { return slotJurisdictions[Int(slot)] }
        return retracted[r] ? [] : [reportJurisdiction[r]]
    }

    private func jurisdictionCount(ofRoot r: Int) -> Int {
        let slot = groupSlot[r]
        if slot >= 0 { return slotJurisdictions[Int(slot)].count }
        return retracted[r] ? 0 : 1
    }

    private func names(of interned: [Int32]) -> [String] {
        interned.map { jurisdictions.names[Int($0)] }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private func campaignID(ofRoot root: Int32) -> String {
        Self.campaignID(key: Self.campaignKey(ofReportID: reportIDs[Int(groupEarliest[Int(root)])]))
    }

    /// Builds the campaign rooted at `root`, in time proportional to its size (plus sorting).
    private func makeCampaign(root: Int32, now: Timestamp) -> Campaign? {
        let rootIndex = Int(root)
        guard groupSize[rootIndex] > 0 else { return nil }

        var members: [Int32] = []
        members.reserveCapacity(Int(groupSize[rootIndex]))
        var member = root
        repeat {
            if !retracted[Int(member)] {
                members.append(member)
            }
            member = nextMember[Int(member)]
        } while member != root
        members.sort { precedes($0, $1) }

        let window = Int64(CampaignGrowth.windowDays) * 86_400_000
        let nowMs = now.milliseconds
        let recentStart = Self.subtracting(nowMs, window)
        let previousStart = Self.subtracting(recentStart, window)
        var recent = 0
        var previous = 0
        var identifierCounts: [Int32: Int] = [:]
        var originCounts: [Int32: Int] = [:]
        for m in members {
            let i = Int(m)
            originCounts[reportOrigin[i], default: 0] += 1
            let t = reportTime[i]
            if t <= nowMs && t > recentStart {
                recent += 1
            } else if t <= recentStart && t > previousStart {
                previous += 1
            }
            for k in identifierStart[i]..<identifierStart[i + 1] {
                identifierCounts[reportIdentifiers[k], default: 0] += 1
            }
        }

        let identifiers = identifierCounts.map { x, count in
            CampaignIdentifier(
                key: identifierKeys[Int(x)],
                reports: count,
                reportsOverall: Int(identifierReports[Int(x)]),
                linking: identifierState[Int(x)] == IdentifierState.linking
            )
        }.sorted { a, b in
            a.reports != b.reports ? a.reports > b.reports : a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }

        var typologies: [Campaign.TypologyCount] = []
        var losses: [Money] = []
        let victims: Int64
        let slot = groupSlot[rootIndex]
        if slot >= 0 {
            let s = Int(slot)
            for t in 0..<Self.typologyCount where slotTypologies[s * Self.typologyCount + t] > 0 {
                typologies.append(
                    Campaign.TypologyCount(
                        typology: Self.typologies[t],
                        reports: Int(slotTypologies[s * Self.typologyCount + t])
                    )
                )
            }
            for loss in slotLosses[s] where loss.reports > 0 {
                losses.append(Money(minorUnits: loss.minor, currency: currencies.names[Int(loss.currency)]))
            }
            victims = slotVictims[s]
        } else {
            typologies.append(Campaign.TypologyCount(typology: Self.typologies[Int(reportTypology[rootIndex])], reports: 1))
            let currency = reportLossCurrency[rootIndex]
            if currency >= 0 {
                losses.append(
                    Money(minorUnits: reportLossMinor[rootIndex], currency: currencies.names[Int(currency)])
                )
            }
            victims = reportVictims[rootIndex]
        }
        // A stable sort keeps typologies with equal counts in declaration order.
        typologies = typologies.enumerated().sorted { a, b in
            a.element.reports != b.element.reports ? a.element.reports > b.element.reports : a.offset < b.offset
        }.map(\.element)
        losses.sort { $0.currency.utf8.lexicographicallyPrecedes($1.currency.utf8) }

        return Campaign(
            id: campaignID(ofRoot: root),
            reports: members.map { reportIDs[Int($0)] },
            jurisdictions: names(of: jurisdictionSet(ofRoot: root)),
            identifiers: identifiers,
            typologies: typologies,
            losses: losses,
            victims: Int(victims),
            firstSeen: Timestamp(milliseconds: reportTime[Int(groupEarliest[rootIndex])]),
            lastSeen: Timestamp(milliseconds: groupLatest[rootIndex]),
            growth: CampaignGrowth(recent: recent, previous: previous),
            origins: originCounts.keys.map { origins.names[Int($0)] }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) },
            reportsByOrigin: Dictionary(uniqueKeysWithValues: originCounts.map { (origins.names[Int($0.key)], $0.value) })
        )
    }

    // MARK: - Small helpers

    private enum IdentifierState {
        static let linking: UInt8 = 0
        static let warned: UInt8 = 1
        static let common: UInt8 = 2
    }

    /// A currency's summed loss in a group.
    private struct LossSum: Sendable {
        var currency: Int32
        var minor: Int64
        var reports: Int32
    }

    /// Interned short names (origins, jurisdictions, currencies).
    private struct Names: Sendable {
        var names: [String] = []
        var index: [String: Int32] = [:]

        mutating func intern(_ name: String) -> Int32 {
            let candidate = Int32(names.count)
            let i = CampaignLinker.value(&index[name, default: candidate])
            if i == candidate {
                names.append(name)
            }
            return i
        }
    }

    private static let domainPrefix = "domain:"
    private static let typologyCount = 11
    /// Typologies by ordinal, in the order they are declared.
    private static let typologies: [Typology] = [
        .investment, .romance, .job, .purchase, .impersonation, .loan, .extortion, .phishing, .techSupport, .bec, .other,
    ]

    private static func ordinal(_ typology: Typology) -> Int {
        switch typology {
        case .investment: 0
        case .romance: 1
        case .job: 2
        case .purchase: 3
        case .impersonation: 4
        case .loan: 5
        case .extortion: 6
        case .phishing: 7
        case .techSupport: 8
        case .bec: 9
        case .other: 10
        }
    }

    /// Reads a dictionary value through `subscript(_:default:)`, which inserts the default when the
    /// key is missing: one hash for a look-up-or-insert.
    @inline(__always)
    fileprivate static func value(_ slot: inout Int32) -> Int32 { slot }

    private static func insertSorted(_ value: Int32, into array: inout [Int32]) {
        var i = 0
        while i < array.count && array[i] < value { i += 1 }
        if i < array.count && array[i] == value { return }
        array.insert(value, at: i)
    }

    private static func addLoss(currency: Int32, minor: Int64, reports: Int32, to sums: inout [LossSum]) {
        if let i = sums.firstIndex(where: { $0.currency == currency }) {
            sums[i].minor = adding(sums[i].minor, minor)
            sums[i].reports += reports
        } else {
            sums.append(LossSum(currency: currency, minor: minor, reports: reports))
        }
    }

    private static func adding(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }

    private static func subtracting(_ a: Int64, _ b: Int64) -> Int64 {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b > 0 ? .min : .max) : difference
    }

    /// The 64-bit campaign key of a report: the first 16 digits of a lower-case hex id, otherwise the
    /// FNV-1a hash of the id's UTF-8 bytes.
    static func campaignKey(ofReportID id: String) -> UInt64 {
        var value: UInt64 = 0
        var digits = 0
        for byte in id.utf8 {
            guard digits < 16 else { break }
            guard let digit = hexDigit(byte) else { return fnv1a(id) }
            value = value << 4 | digit
            digits += 1
        }
        return digits == 16 ? value : fnv1a(id)
    }

    /// The key of a campaign id `c-` + 16 lower-case hex digits, nil for anything else.
    static func campaignKey(ofCampaignID id: String) -> UInt64? {
        let bytes = id.utf8
        guard bytes.count == 18 else { return nil }
        var iterator = bytes.makeIterator()
        guard iterator.next() == UInt8(ascii: "c"), iterator.next() == UInt8(ascii: "-") else { return nil }
        var value: UInt64 = 0
        while let byte = iterator.next() {
            guard let digit = hexDigit(byte) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    /// `c-` and the key as 16 lower-case hex digits.
    static func campaignID(key: UInt64) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "c"), UInt8(ascii: "-")]
        bytes.reserveCapacity(18)
        for shift in stride(from: 60, through: 0, by: -4) {
            let digit = UInt8((key >> UInt64(shift)) & 0xF)
            bytes.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexDigit(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(byte - UInt8(ascii: "a") + 10)
        default: nil
        }
    }

    private static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
