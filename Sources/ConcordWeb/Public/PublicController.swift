import ConcordCore
import ConcordStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// The page for citizens at `/public`, with no sign-in: check a number, account or link; report a scam; ask for a
/// wrong flag to be reviewed. Reports and disputes wait in the triage queue, unverified and unshared, until an
/// analyst accepts them. A check answers only "reported or not, and how recently", from CLEAR and GREEN records.
/// Every request counts against its client address's rate limit; bodies and fields have size limits; every
/// value shown back is escaped by the templates.
struct PublicController: Sendable {
    let node: RunningNode
    let pages: PageRenderer
    let strings: PublicStrings
    let limiter: AddressRateLimiter

    /// Largest form body accepted.
    static let maxBody = 16 * 1024
    /// Most identifier lines in one report.
    static let maxIdentifiers = 10
    /// The typologies a citizen chooses from, in the order shown.
    static let typologies: [Typology] = [
        .investment, .romance, .impersonation, .phishing, .job, .purchase, .loan, .extortion, .techSupport, .other,
    ]

    func addRoutes(to router: Router<ConcordRequestContext>) {
        router.get("public", use: page)
        router.post("public/check", use: check)
        router.post("public/report", use: report)
        router.post("public/dispute", use: dispute)
    }

    // MARK: - Routes

    @Sendable func page(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        if let limited = limit(request, context) { return limited }
        let language = PublicStrings.choose(
            query: request.uri.queryParameters["lang"].map(String.init),
            acceptLanguage: request.headers[.acceptLanguage]
        )
        return render(language, values: [:])
    }

    @Sendable func check(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        if let limited = limit(request, context) { return limited }
        let form = try await FormBody.read(request, limit: Self.maxBody)
        let language = self.language(form, request)
        let words = strings.table(language, organisation: node.profile.organisation)
        let value = String((form["value"] ?? "").prefix(512))
        let region = Jurisdiction.normalize(form["region"] ?? "") ?? node.profile.jurisdiction
        var values: [String: Any] = ["checkValue": value, "checkRegion": form["region"] ?? ""]
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            values["errors"] = ["check_value": words["error_required"] ?? ""]
            return render(language, status: .unprocessableContent, values: values)
        }
        guard let identifier = try? Identifier.normalizeGuessingKind(value, hints: NormalizationHints(region: region)) else {
            values["checkResult"] = ["unreadable": true]
            return render(language, status: .unprocessableContent, values: values)
        }
        let answer = node.index.check(identifier, scope: .green)
        let recency = answer.flagged ? Self.recencyKey(ageDays: answer.ageDays ?? 0) : nil
        values["checkResult"] = [
            "reported": answer.flagged,
            "recency": recency.flatMap { words[$0] } ?? "",
        ]
        return render(language, values: values)
    }

    @Sendable func report(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        if let limited = limit(request, context) { return limited }
        let form = try await FormBody.read(request, limit: Self.maxBody)
        let language = self.language(form, request)
        let words = strings.table(language, organisation: node.profile.organisation)
        let read = Self.readReport(form, region: node.profile.jurisdiction, words: words, now: .now())
        guard read.errors.isEmpty else {
            var values = Self.reportEcho(form)
            values["errors"] = read.errors
            values["reportOpen"] = true
            return render(language, status: .unprocessableContent, values: values)
        }
        var body = read.body
        body["lang"] = .string(language)
        if let full = try await queueFull(language) { return full }
        let item = try await node.store.addTriageItem(kind: .report, body: .object(body))
        context.logger.info("public report queued for triage", metadata: ["triage.id": "\(item.id)"])
        return render(language, values: ["reportThanks": true, "reference": item.id])
    }

    @Sendable func dispute(_ request: Request, context: ConcordRequestContext) async throws -> Response {
        if let limited = limit(request, context) { return limited }
        let form = try await FormBody.read(request, limit: Self.maxBody)
        let language = self.language(form, request)
        let words = strings.table(language, organisation: node.profile.organisation)
        let value = form["dispute_value"] ?? ""
        let statement = form["statement"] ?? ""
        let contact = form["contact"] ?? ""
        var errors: [String: String] = [:]
        var identifier: Identifier?
        if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            errors["dispute_value"] = words["error_required"]
        } else if value.utf8.count > 512 {
            errors["dispute_value"] = words["error_too_long"]
        } else {
            let region = Jurisdiction.normalize(form["region"] ?? "") ?? node.profile.jurisdiction
            identifier = try? Identifier.normalizeGuessingKind(value, hints: NormalizationHints(region: region))
            if identifier == nil { errors["dispute_value"] = words["check_unreadable"] }
        }
        if statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            errors["statement"] = words["error_required"]
        } else if statement.utf8.count > 2000 || statement.utf8.contains(0) {
            errors["statement"] = words["error_too_long"]
        }
        if contact.utf8.count > 200 || contact.utf8.contains(0) { errors["contact"] = words["error_too_long"] }
        guard errors.isEmpty, let identifier else {
            return render(
                language,
                status: .unprocessableContent,
                values: [
                    "errors": errors, "disputeValue": value, "statement": statement, "contact": contact, "disputeOpen": true,
                ]
            )
        }
        var body: [String: JSONValue] = [
            "identifier": ["kind": .string(identifier.kind.rawValue), "value": .string(identifier.canonical)],
            "statement": .string(statement),
            "lang": .string(language),
        ]
        if !contact.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { body["contact"] = .string(contact) }
        if let full = try await queueFull(language) { return full }
        let item = try await node.store.addTriageItem(kind: .dispute, body: .object(body))
        context.logger.info("public dispute queued for triage", metadata: ["triage.id": "\(item.id)"])
        return render(language, values: ["disputeThanks": true, "reference": item.id])
    }

    // MARK: - Reading the report form

    /// A report form read into the body an analyst will accept, or the words for each bad field.
    static func readReport(
        _ form: FormBody,
        region: String,
        words: [String: String],
        now: Timestamp
    ) -> (body: [String: JSONValue], errors: [String: String]) {
        var body: [String: JSONValue] = [:]
        var errors: [String: String] = [:]
        let typology = form["typology"].flatMap(Typology.init(rawValue:)).flatMap { typologies.contains($0) ? $0 : nil }
        if let typology { body["typology"] = .string(typology.rawValue) } else { errors["typology"] = words["error_required"] }
        let hints = NormalizationHints(region: Jurisdiction.normalize(form["region"] ?? "") ?? region)
        let lines = (form["identifiers"] ?? "").split(whereSeparator: \.isNewline).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }.filter { !$0.isEmpty }
        if lines.count > maxIdentifiers || lines.contains(where: { $0.utf8.count > 512 }) {
            errors["identifiers"] = words["error_too_long"]
        } else {
            var identifiers: [JSONValue] = []
            for line in lines {
                guard let identifier = try? Identifier.normalizeGuessingKind(line, hints: hints) else { continue }
                let item: JSONValue = ["kind": .string(identifier.kind.rawValue), "value": .string(identifier.canonical)]
                if !identifiers.contains(item) { identifiers.append(item) }
            }
            if identifiers.isEmpty {
                errors["identifiers"] = words["error_identifiers"]
            } else {
                body["identifiers"] = .array(identifiers)
            }
        }
        let story = form["story"] ?? ""
        if story.utf8.count > 4000 || story.utf8.contains(0) {
            errors["story"] = words["error_too_long"]
        } else if !story.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            body["narrative"] = .string(story)
        }
        let amount = (form["amount"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let currency = (form["currency"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        if !amount.isEmpty {
            if amount.utf8.count > 20 || Decimal(string: amount) == nil || amount.filter({ $0 == "." }).count > 1
                || amount.hasPrefix(".") || amount.hasSuffix(".")
                || !amount.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") })
            {
                errors["amount"] = words["error_amount"]
            } else if currency.utf8.count != 3 || !currency.allSatisfy({ $0.isASCII && $0.isLetter }) {
                errors["currency"] = words["error_currency"]
            } else {
                body["loss"] = ["amount": .string(amount), "currency": .string(currency)]
            }
        }
        let date = (form["when"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if !date.isEmpty {
            if date.utf8.count == 10, let when = Timestamp(rfc3339: date + "T00:00:00Z"), when <= now {
                body["occurred_at"] = .string(when.rfc3339)
            } else {
                errors["when"] = words["error_date"]
            }
        }
        return (body, errors)
    }

    /// The report form's values, to show again beside its errors.
    static func reportEcho(_ form: FormBody) -> [String: Any] {
        [
            "typology": form["typology"] ?? "", "identifiers": String((form["identifiers"] ?? "").prefix(6000)),
            "story": String((form["story"] ?? "").prefix(4000)), "amount": String((form["amount"] ?? "").prefix(20)),
            "currency": String((form["currency"] ?? "").prefix(8)), "when": String((form["when"] ?? "").prefix(10)),
        ]
    }

    /// The words for how long ago something was last reported.
    static func recencyKey(ageDays: Int) -> String {
        switch ageDays {
        case ..<7: "recency_week"
        case ..<31: "recency_month"
        case ..<92: "recency_quarter"
        case ..<366: "recency_year"
        default: "recency_older"
        }
    }

    // MARK: - Rendering and limits

    /// Most items that may wait in the triage queue; past it the page asks people to come back later (503), so
    /// that a flood cannot bury what analysts have to read.
    static let maxPending = 20_000

    private func queueFull(_ language: String) async throws -> Response? {
        guard try await node.store.pendingTriageCount() >= Self.maxPending else { return nil }
        var response = render(language, status: .serviceUnavailable, values: ["tooMany": true])
        response.headers[.retryAfter] = "3600"
        return response
    }

    private func language(_ form: FormBody, _ request: Request) -> String {
        PublicStrings.choose(query: form["lang"], acceptLanguage: request.headers[.acceptLanguage])
    }

    /// The page in `language` with `values` (form echoes, errors, answers).
    func render(_ language: String, status: HTTPResponse.Status = .ok, values: [String: Any]) -> Response {
        let words = strings.table(language, organisation: node.profile.organisation)
        var context = values
        context["t"] = words
        context["lang"] = language
        context["languages"] = PublicStrings.languages.map { code in
            ["code": code, "name": strings.table(code, organisation: "")["language_name"] ?? code, "current": code == language]
                as [String: Any]
        }
        let chosen = values["typology"] as? String
        context["typologies"] = Self.typologies.map { t in
            ["value": t.rawValue, "label": words["typology_" + t.rawValue] ?? t.rawValue, "selected": t.rawValue == chosen]
                as [String: Any]
        }
        return pages.publicPage(status: status, values: context)
    }

    /// The 429 answer when `request`'s address has used its allowance: problem+json, or the page in the
    /// person's language when a browser asks for HTML. Both carry `Retry-After`.
    private func limit(_ request: Request, _ context: ConcordRequestContext) -> Response? {
        guard let wait = limiter.take(AddressRateLimiter.key(context.remoteAddress)) else { return nil }
        node.metrics.publicLimited.increment()
        var response: Response
        if (request.headers[.accept] ?? "").contains("text/html") {
            let language = PublicStrings.choose(
                query: request.uri.queryParameters["lang"].map(String.init),
                acceptLanguage: request.headers[.acceptLanguage]
            )
            response = render(language, status: .tooManyRequests, values: ["tooMany": true])
        } else {
            response = Response.problem(
                .tooManyRequests(
                    "this address has made more than \(limiter.perMinute) requests to the public page in a minute; wait \(wait) s",
                    retryAfter: wait
                ),
                instance: request.uri.path
            )
        }
        response.headers[.retryAfter] = String(wait)
        return response
    }
}
