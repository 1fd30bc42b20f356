import ConcordAnalysis
import ConcordCore
import ConcordStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// The pages people use: sign-in, the dashboard, campaigns, checks and reports. Each page reads through the
/// same domain code as the API (the analysis, the check index, `RecordInput`), never a copy of its rules.
struct PageController: Sendable {
    let node: RunningNode
    let pages: PageRenderer
    let sessions: WebSessions
    /// The intervention catalogue plans choose from.
    let catalogue: [Intervention]
    /// The capability framework assessments are made against.
    let framework: CapabilityFramework
    /// The exercise scenarios shipped with Concord.
    let scenarios: [ExerciseScenario]

    /// The cookie that carries the sign-in form's CSRF token before there is a session.
    static let loginCookie = "concord_login"

    func addRoutes(to router: Router<ConcordRequestContext>) {
        router.get("static/concord.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: ResponseBody(byteBuffer: pages.stylesheet)
            )
        }
        router.get("login", use: loginPage)
        router.post("login", use: login)
        router.post("logout", use: logout)
        router.get("", use: dashboard)
        router.get("campaigns", use: campaigns)
        router.get("campaigns/{id}", use: campaign)
        router.get("check", use: checkPage)
        router.post("check", use: check)
        router.get("network", use: network)
        router.post("network/peers", use: addPeer)
        router.post("network/peers/remove", use: removePeer)
        router.post("network/communities", use: declareCommunity)
        router.get("records", use: records)
        router.get("records/{id}", use: record)
        router.post("records/{id}/retract", use: retract)
        router.get("risks", use: risks)
        router.get("plan", use: plan)
        router.get("report", use: reportPage)
        router.post("report", use: report)
        addActRoutes(to: router)
        addLearningRoutes(to: router)
        addExerciseRoutes(to: router)
        addLearningPageRoutes(to: router)
    }

    // MARK: Access

    /// Why a page is not shown: no session (go and sign in), too low a role, or a form without its token.
    enum Denial: Error {
        case signIn
        case forbidden(String)
        case badForm
    }

    /// The session of `request`, with at least `role`.
    func require(_ request: Request, _ role: TokenRole) async throws -> UserSession {
        guard let session = try await sessions.session(of: request) else { throw Denial.signIn }
        guard session.user.role >= role else {
            throw Denial.forbidden(
                "This page needs the \(role.rawValue) role; you are signed in as \(session.user.role.rawValue)."
            )
        }
        return session
    }

    /// The form of a POST, after its CSRF token is checked against `session`.
    func form(_ request: Request, _ session: UserSession) async throws -> FormBody {
        let form = try await FormBody.read(request)
        guard WebSessions.csrfMatches(form["csrf"], session) else { throw Denial.badForm }
        return form
    }

    /// Runs a page handler, turning denials and errors into pages.
    func guarded(_ request: Request, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch Denial.signIn {
            return PageRenderer.redirect("/login")
        } catch Denial.forbidden(let why) {
            return pages.page(
                "error",
                title: "Not allowed",
                node: node,
                session: nil,
                status: .forbidden,
                values: ["detail": why]
            )
        } catch Denial.badForm {
            return pages.page(
                "error",
                title: "Form expired",
                node: node,
                session: nil,
                status: .forbidden,
                values: ["detail": "The form was missing its security token or it had expired. Open the page again and resend."]
            )
        } catch {
            node.logger.error("page failed", metadata: ["page": "\(request.uri.path)", "error.type": "\(type(of: error))"])
            return pages.page(
                "error",
                title: "Something went wrong",
                node: node,
                session: nil,
                status: .internalServerError,
                values: ["detail": "The node could not build this page. Try again; if it goes on, tell the node's operator."]
            )
        }
    }

    // MARK: Sign-in

    @Sendable func loginPage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            if try await sessions.session(of: request) != nil { return PageRenderer.redirect("/") }
            return loginForm(message: nil, username: "")
        }
    }

    private func loginForm(message: String?, username: String, status: HTTPResponse.Status = .ok) -> Response {
        let token = WebSessions.randomText()
        return pages.page(
            "login",
            title: "Sign in",
            node: node,
            session: nil,
            status: status,
            values: ["loginCSRF": token, "message": message as Any, "username": username],
            headers: [.setCookie: "\(Self.loginCookie)=\(token); Path=/login; Max-Age=3600; HttpOnly; Secure; SameSite=Strict"]
        )
    }

    @Sendable func login(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let form = try await FormBody.read(request, limit: 8192)
            let expected = WebSessions.cookie(Self.loginCookie, in: request.headers[values: .cookie])
            guard let expected, let presented = form["csrf"], expected.utf8.count == 43, presented == expected else {
                throw Denial.badForm
            }
            let username = String((form["username"] ?? "").prefix(64))
            switch try await sessions.signIn(username: username, password: form["password"] ?? "") {
            case .signedIn(let secret, _):
                node.logger.info("signed in", metadata: ["user.name_length": "\(username.count)"])
                return PageRenderer.redirect("/", cookie: WebSessions.setCookie(secret))
            case .refused:
                return loginForm(message: "The user name or password is wrong.", username: username, status: .unauthorized)
            case .busy:
                return loginForm(
                    message: "Too many sign-ins at this moment; wait a few seconds and try again.",
                    username: username,
                    status: .serviceUnavailable
                )
            case .locked(let until):
                return loginForm(
                    message: "Too many failed attempts: this account is locked until \(until.rfc3339).",
                    username: username,
                    status: .tooManyRequests
                )
            }
        }
    }

    @Sendable func logout(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .checker)
            _ = try await form(request, session)
            try await node.store.removeSession(hash: session.hash)
            return PageRenderer.redirect("/login", cookie: WebSessions.clearCookie)
        }
    }

    // MARK: Dashboard

    @Sendable func dashboard(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .checker)
            guard session.user.role >= .analyst else { return PageRenderer.redirect("/check") }
            let analysis = node.analysis
            let now = Timestamp.now()
            let dayStart = now.milliseconds - now.milliseconds % 86_400_000
            let weekStart = now.milliseconds - 7 * 86_400_000
            let reports = try await analysis.heldReports()
            var today = 0
            var week: [String: Int] = [:]
            for report in reports where report.filed.milliseconds >= weekStart {
                if report.filed.milliseconds >= dayStart { today += 1 }
                week["\(report.jurisdiction)\t\(report.typology.rawValue)", default: 0] += 1
            }
            let weekRows: [[String: Any]] = week.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { entry in
                    let parts = entry.key.split(separator: "\t").map(String.init)
                    return ["jurisdiction": parts[0], "typology": parts[1], "reports": entry.value]
                }
            var landscape = analysis.ownLandscape
            for (_, held) in analysis.heldLandscapes { landscape.merge(held) }
            let heat = try landscape.heatTable()
            let top = max(heat.maxReports, 1)
            let heatRows: [[String: Any]] = heat.jurisdictions.map { jurisdiction in
                [
                    "name": jurisdiction,
                    "cells": heat.typologies.map { typology -> [String: Any] in
                        let count = heat.total(jurisdiction: jurisdiction, typology: typology)?.reports ?? 0
                        return ["count": count, "level": count == 0 ? 0 : 1 + min(3, 4 * count / (top + 1))]
                    },
                ]
            }
            let trend = try landscape.trend()
            var byTypology: [String: Double] = [:]
            var byJurisdiction: [String: Double] = [:]
            for total in heat.totals {
                byTypology[total.typology.rawValue, default: 0] += Double(total.reports)
                byJurisdiction[total.jurisdiction, default: 0] += Double(total.reports)
            }
            func ranked(_ d: [String: Double]) -> [(label: String, value: Double)] {
                d.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
            }
            let (found, _, _) =
                analysis.isLoaded
                ? analysis.campaigns(minimumReports: 2, crossBorderOnly: false, limit: 100_000) : ([], 0, [])
            let alerts = analysis.alerts(after: 0, limit: 100_000).suffix(10).reversed().map { alert -> [String: Any] in
                [
                    "raised": alert.raised.rfc3339, "campaign": alert.campaignID,
                    "campaignShort": String(alert.campaignID.prefix(12)),
                    "jurisdictions": alert.jurisdictions.joined(separator: ", "),
                    "newJurisdictions": alert.newJurisdictions.joined(separator: ", "),
                ]
            }
            let peers = try await node.store.peers().map { peer -> [String: Any] in
                let healthy = peer.errors == 0 && peer.lastPull != nil
                return [
                    "node": String(peer.nodeID.prefix(16)), "jurisdiction": peer.jurisdiction ?? "not yet known",
                    "health": healthy
                        ? "pulling" : (peer.lastError.map { _ in "failing (\(peer.errors) errors)" } ?? "not yet pulled"),
                    "healthClass": healthy ? "healthy" : "unhealthy",
                    "lag": peer.behind.map(String.init) ?? "?", "lastPulled": peer.lastPull?.rfc3339 ?? "never",
                ]
            }
            return pages.page(
                "dashboard",
                title: "Dashboard",
                node: node,
                session: session,
                nav: "Dashboard",
                values: [
                    "today": today, "week": week.values.reduce(0, +), "weekRows": weekRows, "hasWeekRows": !weekRows.isEmpty,
                    "campaignCount": found.count, "crossBorderCount": found.filter(\.crossBorder).count,
                    "peerCount": peers.count, "peers": peers, "hasPeers": !peers.isEmpty,
                    "alerts": Array(alerts), "hasAlerts": !alerts.isEmpty, "currency": analysis.rates.base,
                    "heat": ["columns": heat.typologies.map(\.rawValue), "rows": heatRows], "hasHeat": !heatRows.isEmpty,
                    "lossChart": SVGChart.columns(trend.map { ($0.month, $0.loss) }, title: "Losses by month"),
                    "typologyChart": SVGChart.bars(ranked(byTypology), title: "Reports by typology"),
                    "jurisdictionChart": SVGChart.bars(ranked(byJurisdiction), title: "Reports by jurisdiction"),
                ]
            )
        }
    }

    // MARK: Campaigns

    @Sendable func campaigns(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let query = request.uri.queryParameters
            let crossBorder = query["cross_border"] != nil
            let jurisdictionText = query["jurisdiction"].map { String($0).uppercased() } ?? ""
            let typologyText = query["typology"].map(String.init) ?? ""
            var message: String?
            let jurisdiction = jurisdictionText.isEmpty ? nil : Jurisdiction.normalize(jurisdictionText)
            if !jurisdictionText.isEmpty && jurisdiction == nil {
                message = "“\(jurisdictionText)” is not a two-letter country code; showing every jurisdiction."
            }
            let typology = Typology(rawValue: typologyText)
            let analysis = node.analysis
            var (found, linked, _) =
                analysis.isLoaded
                ? analysis.campaigns(minimumReports: 2, crossBorderOnly: crossBorder, limit: 1_000_000) : ([], 0, [])
            if let jurisdiction { found = found.filter { $0.jurisdictions.contains(jurisdiction) } }
            if let typology { found = found.filter { c in c.typologies.contains { $0.typology == typology } } }
            let rows = found.prefix(200).map { c -> [String: Any] in
                [
                    "id": c.id, "short": String(c.id.prefix(12)), "crossBorder": c.crossBorder, "reports": c.reportCount,
                    "jurisdictions": c.jurisdictions.joined(separator: ", "),
                    "typologies": c.typologies.map(\.typology.rawValue).joined(separator: ", "),
                    "loss": String(format: "%.0f", c.totalLoss(in: analysis.rates).amount), "lastSeen": c.lastSeen.date,
                ]
            }
            return pages.page(
                "campaigns",
                title: "Campaigns",
                node: node,
                session: session,
                nav: "Campaigns",
                values: [
                    "campaigns": Array(rows), "hasCampaigns": !rows.isEmpty, "shown": rows.count, "linked": linked,
                    "crossBorder": crossBorder, "jurisdiction": jurisdiction ?? "", "message": message as Any,
                    "currency": analysis.rates.base,
                    "typologies": Typology.allCases.map { ["value": $0.rawValue, "selected": $0 == typology] },
                ]
            )
        }
    }

    @Sendable func campaign(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let id = String((context.parameters.get("id") ?? "").prefix(128))
            let analysis = node.analysis
            let found = id.utf8.count == 64 ? analysis.campaign(containingReport: id.lowercased()) : analysis.campaign(id: id)
            guard let c = found else {
                return pages.page(
                    "error",
                    title: "No such campaign",
                    node: node,
                    session: session,
                    status: .notFound,
                    values: ["detail": "This node has no campaign with that id; campaigns are renamed when they merge."]
                )
            }
            let members = Set(c.reports)
            let reports = try await analysis.heldReports().filter { members.contains($0.id) }
                .sorted { $0.occurredAt.milliseconds < $1.occurredAt.milliseconds }
            var byMonth: [String: Double] = [:]
            for r in reports {
                byMonth[String(r.occurredAt.date.prefix(7)), default: 0] += r.loss.flatMap { analysis.rates.convert($0) } ?? 0
            }
            let total = c.totalLoss(in: analysis.rates)
            let graph = SVGChart.linkGraph(
                reports: reports.map(\.id),
                identifiers: c.identifiers.filter(\.linking).map { i in
                    (i.key, reports.filter { $0.identifiers.contains(i.key) }.map(\.id))
                },
                title: "Link graph of campaign \(c.id.prefix(12))"
            )
            return pages.page(
                "campaign",
                title: "Campaign \(c.id.prefix(12))",
                node: node,
                session: session,
                nav: "Campaigns",
                values: [
                    "reports": c.reportCount, "origins": c.origins.count, "own": c.reportsByOrigin[node.key.nodeID] ?? 0,
                    "jurisdictions": c.jurisdictions.joined(separator: ", "), "crossBorder": c.crossBorder,
                    "typologies": c.typologies.map { "\($0.typology.rawValue) (\($0.reports))" }.joined(separator: ", "),
                    "victims": c.victims, "loss": String(format: "%.2f", total.amount), "currency": analysis.rates.base,
                    "unconverted": total.unconverted.isEmpty
                        ? nil : total.unconverted.map { "\($0.decimalText) \($0.currency)" }.joined(separator: ", "),
                    "firstSeen": c.firstSeen.date, "lastSeen": c.lastSeen.date,
                    "recent": c.growth.recent, "previous": c.growth.previous, "graph": graph,
                    "lossChart": SVGChart.columns(
                        byMonth.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                        title: "Campaign losses by month"
                    ),
                    "identifiers": c.identifiers.map { i -> [String: Any] in
                        ["key": i.key, "kind": i.kind, "reports": i.reports, "overall": i.reportsOverall, "linking": i.linking]
                    },
                    "reportRows": reports.map { r -> [String: Any] in
                        [
                            "short": String(r.id.prefix(12)), "jurisdiction": r.jurisdiction, "typology": r.typology.rawValue,
                            "occurred": r.occurredAt.date, "loss": r.loss.map { "\($0.decimalText) \($0.currency)" } ?? "",
                        ]
                    },
                ]
            )
        }
    }

    // MARK: Check

    @Sendable func checkPage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .checker)
            let chosen = request.uri.queryParameters["exercise"].map(String.init)
            let exercises = try await runningExercises(chosen: chosen)
            return pages.page(
                "check",
                title: "Check identifiers",
                node: node,
                session: session,
                nav: "Check",
                values: ["region": node.profile.jurisdiction, "exercises": exercises, "hasExercises": !exercises.isEmpty]
            )
        }
    }

    @Sendable func check(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .checker)
            let form = try await form(request, session)
            let text = form["identifiers"] ?? ""
            let region = Jurisdiction.normalize(form["region"] ?? "") ?? node.profile.jurisdiction
            let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }.prefix(1000)
            let scope: CheckScope = session.user.role >= .analyst ? .all : .green
            // A check inside an exercise reads only that exercise's records, never the live index.
            let exercise = try await exerciseScope(form["exercise"] ?? "")
            let exercises = try await runningExercises(chosen: form["exercise"])
            var results: [[String: Any]] = []
            for (n, line) in lines.enumerated() {
                var row: [String: Any] = ["line": n + 1, "given": String(line.prefix(200))]
                do {
                    let identifier = try Identifier.normalizeGuessingKind(line, hints: NormalizationHints(region: region))
                    if let exercise {
                        let found = try await Exercises.matches(
                            identifier,
                            since: exercise.since,
                            from: exercise.players,
                            store: node.store
                        )
                        row["canonical"] = "\(identifier.kind.rawValue): \(identifier.display ?? identifier.canonical)"
                        row["verdict"] = found.isEmpty ? "Not named in the exercise" : "Named in the exercise"
                        row["verdictClass"] = found.isEmpty ? "clear" : "flagged"
                        row["details"] = found.isEmpty ? "" : "\(found.count) exercise records"
                        results.append(row)
                        continue
                    }
                    let result = node.index.check(identifier, scope: scope)
                    node.metrics.checks.increment()
                    row["canonical"] = "\(identifier.kind.rawValue): \(identifier.display ?? identifier.canonical)"
                    row["verdict"] = result.flagged ? "Reported" : "Not reported"
                    row["verdictClass"] = result.flagged ? "flagged" : "clear"
                    if result.flagged {
                        node.metrics.checksFlagged.increment()
                        var details: [String] = ["\(result.reports) reports, \(result.indicators) indicators"]
                        details.append(result.jurisdictions.joined(separator: ", "))
                        details.append(result.typologies.map(\.rawValue).joined(separator: ", "))
                        if let last = result.lastSeen { details.append("last seen \(last.date)") }
                        if let sureness = result.sureness { details.append("sureness \(sureness)/100") }
                        row["details"] = details.filter { !$0.isEmpty }.joined(separator: "; ")
                    } else if result.knownGood {
                        row["details"] = "on the warning list of known-good values: never flagged"
                    } else if result.expired {
                        row["details"] = "indicators about it expired" + (result.lastSeen.map { "; last seen \($0.date)" } ?? "")
                    } else {
                        row["details"] = result.retracted ? "reports about it were withdrawn" : ""
                    }
                } catch {
                    row["canonical"] = ""
                    row["verdict"] = "Not readable"
                    row["verdictClass"] = "error"
                    row["details"] = (error as? IdentifierError)?.reason ?? "not an identifier this node reads"
                }
                results.append(row)
            }
            return pages.page(
                "check",
                title: "Check identifiers",
                node: node,
                session: session,
                nav: "Check",
                values: [
                    "identifiers": text, "region": region, "results": results, "hasResults": !results.isEmpty,
                    "exercises": exercises, "hasExercises": !exercises.isEmpty, "exerciseTitle": exercise?.title as Any,
                ]
            )
        }
    }

    /// The running exercises this node directs or plays in, for the check form's choice.
    func runningExercises(chosen: String?) async throws -> [[String: Any]] {
        let now = Timestamp.now()
        var out: [[String: Any]] = []
        var seen = Set<String>()
        for e in try await Exercises.held(node.store, director: node.key.nodeID) where e.status(at: now) == "running" {
            seen.insert(e.id)
            out.append(["id": e.id, "title": e.scenario.title, "selected": e.id == chosen])
        }
        for b in try await Exercises.briefs(node.store) where b.end >= now && !seen.contains(b.id) {
            seen.insert(b.id)
            out.append(["id": b.id, "title": b.title, "selected": b.id == chosen])
        }
        return out
    }

    /// Where a check in exercise `id` looks, or nil for a live check (an empty id).
    func exerciseScope(_ id: String) async throws -> (title: String, since: Timestamp, players: Set<String>?)? {
        guard !id.isEmpty else { return nil }
        if let e = try await Exercises.held(node.store, id: id.lowercased()), e.director == node.key.nodeID {
            return (e.scenario.title, e.start, e.nodes)
        }
        if let b = try await Exercises.brief(node.store, id: id.lowercased(), own: node.key.nodeID),
            let first = b.injects.map(\.created).min()
        {
            return (b.title, first, nil)
        }
        throw Problem.invalid(pointer: "/exercise", "is not an exercise this node takes part in")
    }

    // MARK: Report

    @Sendable func reportPage(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let exercise = request.uri.queryParameters["exercise"] == "1"
            return reportForm(session: session, form: nil, issues: [], canonical: [:], saved: nil, exercise: exercise)
        }
    }

    @Sendable func report(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        await guarded(request) {
            let session = try await require(request, .analyst)
            let form = try await form(request, session)
            let (json, canonical) = Self.reportJSON(form, region: node.profile.jurisdiction)
            do {
                let draft = try node.communities.qualify(RecordInput.report(json, nodeJurisdiction: node.profile.jurisdiction))
                guard form["action"] == "save" else {
                    return reportForm(session: session, form: form, issues: [], canonical: canonical, saved: nil)
                }
                guard let (record, _) = try await node.write([draft]).first else { throw Denial.badForm }
                return reportForm(session: session, form: nil, issues: [], canonical: [:], saved: record)
            } catch let error as InputError {
                return reportForm(
                    session: session,
                    form: form,
                    issues: error.issues,
                    canonical: canonical,
                    saved: nil,
                    status: .unprocessableContent
                )
            }
        }
    }

    /// The report a form describes, as the API takes it, and each identifier's reading by row.
    static func reportJSON(_ form: FormBody, region: String) -> (JSONValue, [Int: String]) {
        var members: [String: JSONValue] = [:]
        if let typology = form["typology"], !typology.isEmpty { members["typology"] = .string(typology) }
        if let jurisdiction = form["jurisdiction"], !jurisdiction.isEmpty {
            members["jurisdiction"] = .string(jurisdiction.uppercased())
        }
        if let date = form["occurred_at"], !date.isEmpty { members["occurred_at"] = .string(date + "T00:00:00Z") }
        if let narrative = form["narrative"], !narrative.isEmpty { members["narrative"] = .string(narrative) }
        let amount = form["loss_amount"] ?? ""
        let currency = form["loss_currency"] ?? ""
        if !amount.isEmpty || !currency.isEmpty {
            members["loss"] = .object(["amount": .string(amount), "currency": .string(currency.uppercased())])
        }
        if let tlp = form["tlp"], !tlp.isEmpty { members["tlp"] = .string(tlp) }
        if form["exercise"] == "on" { members["exercise"] = true }
        let kinds = form.all("kind")
        let values = form.all("value")
        var identifiers: [JSONValue] = []
        var canonical: [Int: String] = [:]
        for (n, value) in values.enumerated() where !value.trimmingCharacters(in: .whitespaces).isEmpty {
            let kind = n < kinds.count ? kinds[n] : "phone"
            canonical[identifiers.count] = IdentifierKind(rawValue: kind).flatMap {
                try? Identifier.normalize(
                    kind: $0,
                    value: value,
                    hints: NormalizationHints(region: jurisdictionOrDefault(form, region))
                )
            }.map { $0.display ?? $0.canonical }
            identifiers.append(.object(["kind": .string(kind), "value": .string(value)]))
        }
        members["identifiers"] = .array(identifiers)
        return (.object(members), canonical)
    }

    private static func jurisdictionOrDefault(_ form: FormBody, _ region: String) -> String {
        Jurisdiction.normalize(form["jurisdiction"] ?? "") ?? region
    }

    private func reportForm(
        session: UserSession,
        form: FormBody?,
        issues: [FieldIssue],
        canonical: [Int: String],
        saved: Record?,
        status: HTTPResponse.Status = .ok,
        exercise: Bool = false
    ) -> Response {
        var fieldErrors: [String: String] = [:]
        var identifierErrors: [Int: String] = [:]
        var errors: [[String: Any]] = []
        for issue in issues {
            let parts = issue.pointer.split(separator: "/").map(String.init)
            if parts.first == "identifiers", parts.count >= 2, let n = Int(parts[1]) {
                identifierErrors[n] = issue.detail
                errors.append(["field": "identifier\(n)", "text": "Identifier \(n + 1): \(issue.detail)"])
            } else if let field = parts.first {
                fieldErrors[field] = issue.detail
                errors.append(["field": field, "text": "\(field.replacingOccurrences(of: "_", with: " ")): \(issue.detail)"])
            } else {
                errors.append(["field": "typology", "text": issue.detail])
            }
        }
        let kinds = form?.all("kind") ?? []
        let values = (form?.all("value") ?? []).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let rowCount = max(values.count + 1, 3)
        var shownIndex = 0
        let rows = (0..<rowCount).map { n -> [String: Any] in
            let value = n < values.count ? values[n] : ""
            let kind = n < kinds.count ? kinds[n] : "phone"
            defer { if !value.isEmpty { shownIndex += 1 } }
            return [
                "n": n, "value": value, "canonical": canonical[n] as Any, "error": identifierErrors[n] as Any,
                "kinds": IdentifierKind.allCases.map { ["value": $0.rawValue, "selected": $0.rawValue == kind] },
            ]
        }
        let typology = form?["typology"] ?? ""
        let tlp = form?["tlp"] ?? "amber"
        return pages.page(
            "report",
            title: "Report a scam",
            node: node,
            session: session,
            status: status,
            nav: "Report",
            values: [
                "saved": saved != nil, "savedID": saved?.id ?? "", "savedTLP": saved?.label.tlp.rawValue.uppercased() ?? "",
                "exercise": form.map { $0["exercise"] == "on" } ?? exercise, "savedExercise": saved?.exercise ?? false,
                "errors": errors, "hasErrors": !errors.isEmpty, "fieldErrors": fieldErrors,
                "typologies": Typology.allCases.map { ["value": $0.rawValue, "selected": $0.rawValue == typology] },
                "jurisdiction": form?["jurisdiction"] ?? node.profile.jurisdiction, "occurred": form?["occurred_at"] ?? "",
                "lossAmount": form?["loss_amount"] ?? "", "lossCurrency": form?["loss_currency"] ?? "",
                "narrative": form?["narrative"] ?? "", "identifierRows": rows,
                "tlps": TLPLevel.allCases.map {
                    ["value": $0.rawValue, "label": $0.rawValue.uppercased(), "selected": $0.rawValue == tlp]
                },
            ]
        )
    }
}
