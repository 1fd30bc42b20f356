public import ConcordCore

/// Scores what the participants of a joint exercise did against what its scenario expected: done, partly or
/// missed, and the scenario time each took. Pure: the caller reads the records and says what time it is.
public enum ExerciseScoring {
    /// An exercise record a participant wrote, as scoring sees it.
    public struct Action: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case report, indicator, request, response
        }

        public let id: String
        public let kind: Kind
        public let origin: String
        /// Milliseconds since 1970.
        public let created: Int64
        public let identifiers: Set<Identifier>
        /// For a request: what it asks and of whom.
        public let requestAction: RequestedAction?
        public let to: String?
        /// For a response: the request it answers and the answer.
        public let answers: String?
        public let status: ResponseStatus?

        public init(
            id: String,
            kind: Kind,
            origin: String,
            created: Int64,
            identifiers: Set<Identifier> = [],
            requestAction: RequestedAction? = nil,
            to: String? = nil,
            answers: String? = nil,
            status: ResponseStatus? = nil
        ) {
            self.id = id
            self.kind = kind
            self.origin = origin
            self.created = created
            self.identifiers = identifiers
            self.requestAction = requestAction
            self.to = to
            self.answers = answers
            self.status = status
        }
    }

    /// The exercise as it ran: who plays what, when each inject reached its nodes, and how fast time ran.
    public struct Run: Sendable {
        public let scenario: ExerciseScenario
        /// Role id to node id.
        public let roles: [String: String]
        /// The director's node id: the sender of the injects' requests.
        public let director: String
        /// Inject id to the time (ms) it was delivered.
        public let delivered: [String: Int64]
        /// Inject id to the ids of the requests delivered with it.
        public let injectRequests: [String: Set<String>]
        /// Scenario minutes per real minute.
        public let speed: Int
        /// When the exercise started (ms): moves from then on count, even those made before their inject.
        public let start: Int64

        public init(
            scenario: ExerciseScenario,
            roles: [String: String],
            director: String,
            delivered: [String: Int64],
            injectRequests: [String: Set<String>],
            speed: Int,
            start: Int64 = 0
        ) {
            self.scenario = scenario
            self.roles = roles
            self.director = director
            self.delivered = delivered
            self.injectRequests = injectRequests
            self.speed = max(1, speed)
            self.start = start
        }

        /// Real milliseconds to scenario seconds.
        func scenarioSeconds(_ realMilliseconds: Int64) -> Int { Int(max(0, realMilliseconds) * Int64(speed) / 1000) }
    }

    /// An exercise request held, as answers are matched to it.
    public struct HeldRequest: Sendable, Equatable {
        public let requester: String
        public let addressee: String
        public let action: RequestedAction?
        public let identifiers: Set<Identifier>

        public init(requester: String, addressee: String, action: RequestedAction? = nil, identifiers: Set<Identifier> = []) {
            self.requester = requester
            self.addressee = addressee
            self.action = action
            self.identifiers = identifiers
        }
    }

    /// How one expectation went.
    public struct Score: Sendable, Equatable {
        public let expectation: ExerciseScenario.Expectation
        public let node: String
        /// Nil while the inject has not come or the time limit has not passed and nothing was done yet.
        public let outcome: ExerciseOutcome?
        /// Scenario seconds from the inject to the action that completed (or came closest to) the expectation.
        public let takenSeconds: Int?
        /// The record of that action.
        public let record: String?
        public let detail: String
    }

    /// Scores every expectation of the scenario at real time `now` (ms).
    /// - Parameters:
    ///   - actions: the exercise records participants wrote (any order).
    ///   - requests: every exercise request held, by id, for the responses.
    public static func score(
        _ run: Run,
        actions: [Action],
        requests: [String: HeldRequest],
        now: Int64
    ) -> [Score] {
        let sorted = actions.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
        return run.scenario.expectations.map { e in
            let node = run.roles[e.role] ?? ""
            guard let start = run.delivered[e.after] else {
                return Score(
                    expectation: e,
                    node: node,
                    outcome: nil,
                    takenSeconds: nil,
                    record: nil,
                    detail: "the inject has not come yet"
                )
            }
            let deadline = start + Int64(e.withinMinutes) * 60_000 / Int64(run.speed)
            // A move made before its inject came still counts (the identifiers may have been known already),
            // taking no time.
            let mine = sorted.filter { $0.origin == node && $0.created >= run.start }
            let found: Found
            switch e.action {
            case .report: found = covering(e, mine.filter { $0.kind == .report }, what: "report")
            case .indicator: found = covering(e, mine.filter { $0.kind == .indicator }, what: "indicator")
            case .request: found = request(e, mine.filter { $0.kind == .request }, run: run)
            case .respond: found = response(e, mine.filter { $0.kind == .response }, run: run, requests: requests, node: node)
            }
            let taken = found.at.map { run.scenarioSeconds(max(0, $0 - start)) }
            func score(_ outcome: ExerciseOutcome?, _ detail: String, timed: Bool = true) -> Score {
                Score(
                    expectation: e,
                    node: node,
                    outcome: outcome,
                    takenSeconds: timed ? taken : nil,
                    record: timed ? found.record : nil,
                    detail: detail
                )
            }
            switch found.completeness {
            case .full where found.at.map({ $0 <= deadline }) ?? false: return score(.done, found.detail)
            case .full: return score(.partly, "done late: \((taken ?? 0) / 60) min against \(e.withinMinutes); \(found.detail)")
            case .part where now > deadline: return score(.partly, found.detail)
            case .none where now > deadline: return score(.missed, found.detail, timed: false)
            case .part, .none: return score(nil, found.detail)
            }
        }
    }

    private enum Completeness { case full, part, none }

    private struct Found {
        var completeness: Completeness
        var at: Int64?
        var record: String?
        var detail: String
    }

    /// The earliest moment the actions, taken in order, name every expected identifier.
    private static func covering(_ e: ExerciseScenario.Expectation, _ actions: [Action], what: String) -> Found {
        let wanted = Set(e.identifiers)
        var named = Set<Identifier>()
        for action in actions {
            named.formUnion(action.identifiers.intersection(wanted))
            if wanted.isEmpty || named == wanted {
                return Found(
                    completeness: .full,
                    at: action.created,
                    record: action.id,
                    detail: "\(what) naming every identifier"
                )
            }
        }
        guard let last = actions.last(where: { !$0.identifiers.isDisjoint(with: wanted) }) else {
            return Found(completeness: .none, detail: actions.isEmpty ? "no \(what) filed" : "no \(what) named the identifiers")
        }
        return Found(
            completeness: .part,
            at: last.created,
            record: last.id,
            detail: "named \(named.count) of \(wanted.count) identifiers"
        )
    }

    private static func request(_ e: ExerciseScenario.Expectation, _ actions: [Action], run: Run) -> Found {
        let addressee = e.toRole.flatMap { run.roles[$0] }
        let fitting = actions.filter { a in
            (e.requestAction == nil || a.requestAction == e.requestAction) && (addressee == nil || a.to == addressee)
        }
        var found = covering(e, fitting, what: "request")
        if found.completeness == .full {
            found.detail = "\(e.requestAction?.rawValue ?? "request") sent" + (e.toRole.map { " to \($0)" } ?? "")
            return found
        }
        let wanted = Set(e.identifiers)
        // A request that names the identifiers but asks for something else, or of someone else, counts in part.
        if let near = actions.first(where: { wanted.isEmpty || !$0.identifiers.isDisjoint(with: wanted) }),
            found.completeness == .none
        {
            var what: [String] = []
            if let want = e.requestAction, near.requestAction != want {
                what.append("asked for \(near.requestAction?.rawValue ?? "?") instead of \(want.rawValue)")
            }
            if let addressee, near.to != addressee {
                let role = run.roles.first { $0.value == near.to }?.key ?? "a node outside the exercise"
                what.append("sent to \(role) instead of \(e.toRole ?? "")")
            }
            return Found(completeness: .part, at: near.created, record: near.id, detail: what.joined(separator: "; "))
        }
        return found
    }

    private static func response(
        _ e: ExerciseScenario.Expectation,
        _ actions: [Action],
        run: Run,
        requests: [String: HeldRequest],
        node: String
    ) -> Found {
        let requester = e.fromRole.flatMap { run.roles[$0] } ?? run.director
        let injectRequests = run.injectRequests[e.after] ?? []
        // The request another role is expected to send this one, when the scenario says what it asks.
        let paired = run.scenario.expectations.first {
            $0.action == .request && $0.role == e.fromRole && $0.toRole == e.role
        }
        let answering = actions.filter { a in
            guard let id = a.answers, let request = requests[id], request.addressee == node, request.requester == requester else {
                return false
            }
            guard e.fromRole != nil else { return injectRequests.contains(id) }
            guard let paired else { return true }
            if let action = paired.requestAction, request.action != action { return false }
            return paired.identifiers.isEmpty || !request.identifiers.isDisjoint(with: paired.identifiers)
        }
        let wanted = e.status ?? .actioned
        func full(_ status: ResponseStatus?) -> Bool {
            wanted == .acknowledged ? status != nil : status == wanted
        }
        if let answer = answering.first(where: { full($0.status) }) {
            return Found(
                completeness: .full,
                at: answer.created,
                record: answer.id,
                detail: "answered \(answer.status?.rawValue ?? "")"
            )
        }
        if let answer = answering.last {
            return Found(
                completeness: .part,
                at: answer.created,
                record: answer.id,
                detail: "answered \(answer.status?.rawValue ?? "?"), not \(wanted.rawValue)"
            )
        }
        if e.fromRole != nil,
            !requests.values.contains(where: { $0.requester == requester && $0.addressee == node })
        {
            return Found(completeness: .none, detail: "no request from \(e.fromRole ?? "") arrived to answer")
        }
        return Found(completeness: .none, detail: "the request was not answered")
    }
}

/// The after-action view of scores: per node and for the whole exercise, the lessons by capability factor, and
/// the learning exchanges they suggest (a node that missed a factor's expectations, with one that did them).
public enum ExerciseAfterAction {
    /// Counts and times for a node, or for everyone.
    public struct Tally: Sendable, Equatable {
        public var done = 0
        public var partly = 0
        public var missed = 0
        public var pending = 0
        /// Done counts one, partly a half, over what was scored; nil before anything is scored.
        public var score: Double? {
            let scored = done + partly + missed
            return scored == 0 ? nil : (Double(done) + Double(partly) / 2) / Double(scored)
        }
        /// Median scenario seconds of the actions that were done or partly done.
        public var medianSeconds: Int?
    }

    /// A lesson: a factor, what to learn, and the nodes it concerns.
    public struct Lesson: Sendable, Equatable {
        public let factor: String?
        public let text: String
        public let nodes: [String]
    }

    /// A learning exchange a lesson suggests: the node to learn and, when one did well on the factor, a node to
    /// learn from.
    public struct Seed: Sendable, Equatable {
        public let factor: String
        public let learner: String
        public let mentors: [String]

        public init(factor: String, learner: String, mentors: [String]) {
            self.factor = factor
            self.learner = learner
            self.mentors = mentors
        }
    }

    /// One scored expectation, as a report keeps it: enough for tallies, lessons and seeds.
    public struct Entry: Sendable, Equatable {
        public let node: String
        public let factor: String?
        public let outcome: ExerciseOutcome?
        public let takenSeconds: Int?
        /// The lesson to draw when the expectation was not done in full.
        public let lesson: String

        public init(node: String, factor: String?, outcome: ExerciseOutcome?, takenSeconds: Int?, lesson: String) {
            self.node = node
            self.factor = factor
            self.outcome = outcome
            self.takenSeconds = takenSeconds
            self.lesson = lesson
        }

        /// The entry of a fresh score.
        public init(_ s: ExerciseScoring.Score) {
            self.init(
                node: s.node,
                factor: s.expectation.factor,
                outcome: s.outcome,
                takenSeconds: s.takenSeconds,
                lesson: s.expectation.lesson ?? s.expectation.title
            )
        }
    }

    /// The tally of `entries`.
    public static func tally(_ entries: [Entry]) -> Tally {
        var t = Tally()
        var times: [Int] = []
        for s in entries {
            switch s.outcome {
            case .done?: t.done += 1
            case .partly?: t.partly += 1
            case .missed?: t.missed += 1
            case nil: t.pending += 1
            }
            if s.outcome == .done || s.outcome == .partly, let taken = s.takenSeconds { times.append(taken) }
        }
        times.sort()
        t.medianSeconds = times.isEmpty ? nil : times[times.count / 2]
        return t
    }

    /// Lessons from every expectation not done in full, one per factor and text, naming the nodes concerned.
    public static func lessons(_ entries: [Entry]) -> [Lesson] {
        struct Key: Hashable {
            let factor: String?
            let text: String
        }
        var nodes: [Key: Set<String>] = [:]
        var order: [Key] = []
        for s in entries where s.outcome == .partly || s.outcome == .missed {
            let key = Key(factor: s.factor, text: s.lesson)
            if nodes[key] == nil { order.append(key) }
            nodes[key, default: []].insert(s.node)
        }
        return order.map { Lesson(factor: $0.factor, text: $0.text, nodes: (nodes[$0] ?? []).sorted()) }
    }

    /// For each node and factor with an expectation not done in full: the nodes that did all of that factor's
    /// expectations in full in the same exercise.
    public static func seeds(_ entries: [Entry]) -> [Seed] {
        var strong: [String: Set<String>] = [:]
        var weak: [String: Set<String>] = [:]
        for s in entries {
            guard let factor = s.factor else { continue }
            if s.outcome == .done { strong[factor, default: []].insert(s.node) }
            if s.outcome == .partly || s.outcome == .missed { weak[factor, default: []].insert(s.node) }
        }
        var out: [Seed] = []
        for factor in weak.keys.sorted() {
            for learner in (weak[factor] ?? []).sorted() {
                let mentors = (strong[factor] ?? []).subtracting(weak[factor] ?? []).subtracting([learner]).sorted()
                out.append(Seed(factor: factor, learner: learner, mentors: mentors))
            }
        }
        return out
    }
}
