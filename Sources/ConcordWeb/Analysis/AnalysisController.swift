import ConcordAnalysis
import ConcordCore
import ConcordFederation
import ConcordStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The query of a request, read strictly: unknown names and repeated names are refused with the name as pointer.
struct StrictQuery {
    var values: [String: String] = [:]

    /// A query from a page's own fields, already known.
    init(values: [String: String]) {
        self.values = values
    }

    init(_ request: Request, allowed: Set<String>) throws {
        for (name, value) in request.formQuery {
            guard allowed.contains(name) else {
                throw Problem.invalid(
                    pointer: "/\(name)",
                    "is not a parameter here; use \(allowed.sorted().joined(separator: ", "))"
                )
            }
            guard values[name] == nil else { throw Problem.invalid(pointer: "/\(name)", "is given twice") }
            values[name] = value
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    func integer(_ name: String, in range: ClosedRange<Int>, default value: Int) throws -> Int {
        guard let text = values[name] else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw Problem.invalid(pointer: "/\(name)", "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = values[name] else { return nil }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw Problem.invalid(pointer: "/\(name)", "expected true or false")
        }
    }

    func month(_ name: String) throws -> String? {
        guard let text = values[name] else { return nil }
        let b = Array(text.utf8)
        guard b.count == 7, b[4] == UInt8(ascii: "-"),
            b.enumerated().allSatisfy({ $0.offset == 4 || (48...57).contains($0.element) }),
            let m = Int(text.suffix(2)), (1...12).contains(m)
        else { throw Problem.invalid(pointer: "/\(name)", "expected a month as YYYY-MM") }
        return text
    }

    func jurisdiction(_ name: String) throws -> String? {
        guard let text = values[name] else { return nil }
        guard let code = Jurisdiction.normalize(text) else {
            throw Problem.invalid(pointer: "/\(name)", "\"\(text)\" is not an ISO 3166-1 alpha-2 country code")
        }
        return code
    }

    func typology(_ name: String) throws -> Typology? {
        guard let text = values[name] else { return nil }
        guard let t = Typology(lenient: text) else {
            throw Problem.invalid(
                pointer: "/\(name)",
                "\"\(text)\" is not a typology; use one of \(Typology.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return t
    }
}

extension Response {
    /// A JSON response from a Codable value, keys sorted.
    static func encoded(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

/// Understanding the threat: `GET /campaigns`, `GET /campaigns/{id}`, `GET /alerts`, `GET /landscape`, `GET /risks`.
struct AnalysisController {
    let node: RunningNode
    let analysis: NodeAnalysis

    func addRoutes(to group: RouterGroup<ConcordRequestContext>) {
        group.get("campaigns", use: campaigns)
        group.get("campaigns/{id}", use: campaign)
        group.get("alerts", use: alerts)
        group.get("landscape", use: landscape)
        group.get("risks", use: risks)
    }

    // MARK: Campaigns

    @Sendable func campaigns(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["cross_border", "min_reports", "limit", "jurisdiction"])
        let crossBorder = try q.bool("cross_border") ?? false
        let jurisdiction = try q.jurisdiction("jurisdiction")
        let minimum = try q.integer("min_reports", in: 2...1_000_000, default: 2)
        let limit = try q.integer("limit", in: 1...10_000, default: 100)
        guard analysis.isLoaded else { throw Problem.notReady("campaigns are still being linked from the stored reports") }
        var (found, linked, common) = analysis.campaigns(
            minimumReports: minimum,
            crossBorderOnly: crossBorder,
            limit: jurisdiction == nil ? limit : 1_000_000
        )
        if let jurisdiction { found = Array(found.filter { $0.jurisdictions.contains(jurisdiction) }.prefix(limit)) }
        return Response.json(
            .object([
                "campaigns": .array(found.map { summary($0) }),
                "reports_linked": .integer(Int64(linked)),
                "common_identifiers": .array(common.prefix(100).map(JSONValue.string)),
                "base_currency": .string(analysis.rates.base),
            ])
        )
    }

    @Sendable func campaign(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let id = try context.parameters.require("id")
        guard analysis.isLoaded else { throw Problem.notReady("campaigns are still being linked from the stored reports") }
        // A report id finds the campaign the report is in; a campaign id that changed on a merge still finds it.
        let found = id.utf8.count == 64 ? analysis.campaign(containingReport: id.lowercased()) : analysis.campaign(id: id)
        guard let campaign = found else { throw Problem.notFound("no campaign \(id) on this node") }
        guard case .object(var members) = summary(campaign) else { throw Problem.malformed("unreadable campaign") }
        members["reports"] = .array(campaign.reports.map(JSONValue.string))
        members["identifiers"] = .array(
            campaign.identifiers.map { i in
                .object([
                    "key": .string(i.key),
                    "kind": .string(i.kind),
                    "reports": .integer(Int64(i.reports)),
                    "reports_overall": .integer(Int64(i.reportsOverall)),
                    "linking": .bool(i.linking),
                ])
            }
        )
        members["origins"] = .array(campaign.origins.map(JSONValue.string))
        return Response.json(.object(members))
    }

    /// The fields every campaign listing shows.
    private func summary(_ c: Campaign) -> JSONValue {
        let total = c.totalLoss(in: analysis.rates)
        return .object([
            "id": .string(c.id),
            "jurisdictions": .array(c.jurisdictions.map(JSONValue.string)),
            "cross_border": .bool(c.crossBorder),
            "reports": .integer(Int64(c.reportCount)),
            "identifiers": .integer(Int64(c.identifiers.count)),
            "top_identifiers": .array(c.identifiers.prefix(5).map { .string($0.key) }),
            "typologies": .object(
                Dictionary(uniqueKeysWithValues: c.typologies.map { ($0.typology.rawValue, .integer(Int64($0.reports))) })
            ),
            "victims": .integer(Int64(c.victims)),
            "losses": .array(c.losses.map { .object(["amount": .string($0.decimalText), "currency": .string($0.currency)]) }),
            "total_loss": .object([
                "amount": .string(String(format: "%.2f", total.amount)),
                "currency": .string(analysis.rates.base),
                "unconverted": .array(
                    total.unconverted.map { .object(["amount": .string($0.decimalText), "currency": .string($0.currency)]) }
                ),
            ]),
            "first_seen": .string(c.firstSeen.rfc3339),
            "last_seen": .string(c.lastSeen.rfc3339),
            "growth": .object([
                "last_30_days": .integer(Int64(c.growth.recent)),
                "previous_30_days": .integer(Int64(c.growth.previous)),
                "ratio": c.growth.ratio.map(JSONValue.double) ?? .null,
            ]),
            "origins": .integer(Int64(c.origins.count)),
            "own_reports": .integer(Int64(c.reportsByOrigin[node.key.nodeID] ?? 0)),
        ])
    }

    // MARK: Alerts

    @Sendable func alerts(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["after", "limit"])
        let after = try q.integer("after", in: 0...Int.max, default: 0)
        let limit = try q.integer("limit", in: 1...1000, default: 100)
        let page = analysis.alerts(after: after, limit: limit)
        return Response.json(
            .object([
                "alerts": .array(page.map(\.json)),
                "next_cursor": .integer(Int64(page.last?.sequence ?? after)),
            ])
        )
    }

    // MARK: Landscape

    @Sendable func landscape(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["scope", "from", "to", "jurisdiction", "typology"])
        let scope = q["scope"] ?? "network"
        guard ["node", "network"].contains(scope) else { throw Problem.invalid(pointer: "/scope", "expected node or network") }
        let from = try q.month("from")
        let to = try q.month("to")
        if let from, let to, from > to { throw Problem.invalid(pointer: "/from", "is after `to`") }
        let jurisdiction = try q.jurisdiction("jurisdiction")
        let typology = try q.typology("typology")
        guard analysis.isLoaded else { throw Problem.notReady("the stored reports are still being read") }
        let (view, sources) = scope == "node" ? (analysis.ownLandscape, [JSONValue]()) : await networkLandscape()
        let cells = try view.cells(
            jurisdictions: jurisdiction.map { [$0] },
            typologies: typology.map { [$0] },
            from: from,
            to: to
        )
        let asOf = to ?? view.lastMonth ?? Timestamp.now().date.prefix(7).description
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func value(_ v: some Encodable) throws -> JSONValue { try JSONValue.parse(Array(encoder.encode(v))) }
        return Response.json(
            .object([
                "scope": .string(scope),
                "base_currency": .string(view.baseCurrency),
                "from": from.map(JSONValue.string) ?? .null,
                "to": to.map(JSONValue.string) ?? .null,
                "cells": try value(cells),
                "heat_table": try value(try view.heatTable(from: from, to: to)),
                "trend": try value(try view.trend(jurisdiction: jurisdiction, typology: typology, from: from, to: to)),
                "top_growing": try value(try view.topGrowing(limit: 10, asOf: asOf, jurisdiction: jurisdiction)),
                "sources": .array(sources),
                "cells_withheld_by_peers": .integer(Int64(view.cellsWithheldByPeers)),
            ])
        )
    }

    /// The network's landscape as this node can see it without counting a report twice: its own reports; for
    /// each direct peer, the k-anonymous aggregate of that peer's own reports (or, when the peer cannot be
    /// reached, the peer's reports this node holds); and the reports it holds from nodes it does not peer with.
    func networkLandscape() async -> (Landscape, [JSONValue]) {
        var view = analysis.ownLandscape
        var held = analysis.heldLandscapes
        var sources: [JSONValue] = [.object(["node_id": .string(node.key.nodeID), "source": .string("own reports")])]
        let peers = (try? await node.store.peers()) ?? []
        let shared = await analysis.peerAggregates(peers: peers, client: node.sync?.client)
        for peer in peers {
            if let aggregate = shared[peer.nodeID] {
                view.merge(aggregate)
                held[peer.nodeID] = nil
                sources.append(
                    .object([
                        "node_id": .string(peer.nodeID), "source": .string("peer aggregate"),
                        "suppressed_cells": .integer(Int64(aggregate.suppressedCells)),
                    ])
                )
            }
        }
        for (origin, landscape) in held.sorted(by: { $0.key < $1.key }) {
            view.merge(landscape)
            sources.append(.object(["node_id": .string(origin), "source": .string("reports held")]))
        }
        return (view, sources)
    }

    // MARK: Risks

    @Sendable func risks(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        _ = try context.require(.analyst)
        let q = try StrictQuery(request, allowed: ["trials", "seed", "as_of", "jurisdiction", "limit"])
        let trials = try q.integer("trials", in: 1000...1_000_000, default: 100_000)
        let seed = try q.integer("seed", in: 0...Int.max, default: 1)
        let asOf = try q.month("as_of") ?? String(Timestamp.now().date.prefix(7))
        let jurisdiction = try q.jurisdiction("jurisdiction")
        let limit = try q.integer("limit", in: 1...10_000, default: 100)
        let estimates = try await analysis.risks(asOf: asOf, trials: trials, seed: UInt64(seed))
        let shown = estimates.filter { jurisdiction == nil || $0.inputs.jurisdiction == jurisdiction }.prefix(limit)
        struct Register: Encodable {
            let asOf: String
            let baseCurrency: String
            let trials: Int
            let seed: Int
            let risks: [RiskEstimate]
            enum CodingKeys: String, CodingKey {
                case asOf = "as_of"
                case baseCurrency = "base_currency"
                case trials, seed, risks
            }
        }
        return try Response.encoded(
            Register(asOf: asOf, baseCurrency: analysis.rates.base, trials: trials, seed: seed, risks: Array(shown))
        )
    }
}
