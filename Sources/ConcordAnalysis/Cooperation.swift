public import ConcordCore

/// How well two nodes cooperate, measured from their action requests: how fast requests are acknowledged and
/// actioned, and how many are.
public enum Cooperation {
    /// One answer of an addressee.
    public struct Answer: Sendable, Equatable {
        /// What it said.
        public let status: ResponseStatus
        /// When it was written.
        public let at: Timestamp

        /// Creates an answer.
        public init(_ status: ResponseStatus, at: Timestamp) {
            self.status = status
            self.at = at
        }
    }

    /// What one request and its addressee's answers say, in time order.
    public struct Thread: Sendable, Equatable {
        /// The node that asked.
        public let requester: String
        /// The node asked.
        public let addressee: String
        /// When the request was written.
        public let created: Timestamp
        /// When an answer was due.
        public let due: Timestamp?
        /// The addressee's answers, oldest first.
        public let answers: [Answer]

        /// Creates a thread.
        public init(requester: String, addressee: String, created: Timestamp, due: Timestamp?, answers: [Answer]) {
            self.requester = requester
            self.addressee = addressee
            self.created = created
            self.due = due
            self.answers = answers.sorted { $0.at < $1.at }
        }

        /// Whether an answer closed it.
        public var closed: Bool { answers.contains { $0.status.closes } }
    }

    /// The figures of one partner in one direction.
    public struct Figures: Sendable, Equatable {
        /// The partner's node id.
        public let partner: String
        /// `outbound`: requests this node sent the partner; `inbound`: requests the partner sent this node.
        public let direction: String
        /// Requests.
        public var requests = 0
        /// Requests answered at all.
        public var acknowledged = 0
        /// Requests actioned.
        public var actioned = 0
        /// Requests declined.
        public var declined = 0
        /// Requests not closed.
        public var open = 0
        /// Open requests past their due time.
        public var overdue = 0
        /// Median seconds from request to first answer, over those answered.
        public var medianSecondsToAcknowledge: Int64?
        /// Median seconds from request to the actioned answer, over those actioned.
        public var medianSecondsToAction: Int64?

        /// Actioned requests among the closed ones, or nil when none is closed.
        public var shareActioned: Double? {
            let closed = actioned + declined
            return closed == 0 ? nil : Double(actioned) / Double(closed)
        }
    }

    /// The figures per partner and direction, from `own`'s point of view, partners in id order, outbound first.
    public static func figures(_ threads: [Thread], own: String, now: Timestamp) -> [Figures] {
        var acknowledge: [String: [Int64]] = [:]
        var action: [String: [Int64]] = [:]
        var out: [String: Figures] = [:]
        for thread in threads {
            let outbound = thread.requester == own
            guard outbound || thread.addressee == own else { continue }
            let partner = outbound ? thread.addressee : thread.requester
            let key = (outbound ? "outbound|" : "inbound|") + partner
            var f = out[key] ?? Figures(partner: partner, direction: outbound ? "outbound" : "inbound")
            f.requests += 1
            if let first = thread.answers.first {
                f.acknowledged += 1
                acknowledge[key, default: []].append((first.at.milliseconds - thread.created.milliseconds) / 1000)
            }
            if let done = thread.answers.first(where: { $0.status == .actioned }) {
                f.actioned += 1
                action[key, default: []].append((done.at.milliseconds - thread.created.milliseconds) / 1000)
            } else if thread.answers.contains(where: { $0.status == .declined }) {
                f.declined += 1
            }
            if !thread.closed {
                f.open += 1
                if let due = thread.due, due < now { f.overdue += 1 }
            }
            out[key] = f
        }
        for key in out.keys {
            out[key]?.medianSecondsToAcknowledge = median(acknowledge[key] ?? [])
            out[key]?.medianSecondsToAction = median(action[key] ?? [])
        }
        return out.values.sorted { ($0.direction != $1.direction) ? $0.direction == "outbound" : $0.partner < $1.partner }
    }

    /// The median of `values` (the lower middle for an even count), or nil for none.
    static func median(_ values: [Int64]) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[(sorted.count - 1) / 2]
    }
}
