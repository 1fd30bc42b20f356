import HTTPTypes
import Synchronization

/// Runs the node's heavy computations (risk registers, plans) off the request's task, a few at a time and each
/// within a time limit, so that a costly request gets a 503 problem instead of holding the node's cores.
///
/// The work runs in a child task that is cancelled when the limit passes; the simulations and the planner's
/// search look at cancellation as they go and stop.
final class ComputeLimit: Sendable {
    /// The most computations running at once; more are refused at once with a 503.
    let concurrent: Int
    /// How long one computation may take.
    let timeLimit: Duration
    private let running = Mutex(0)

    init(concurrent: Int = 2, timeLimit: Duration = .seconds(20)) {
        self.concurrent = concurrent
        self.timeLimit = timeLimit
    }

    /// Why a computation was not run to its end.
    struct Refusal: Error {}

    /// Runs `work` under the limits.
    /// - Throws: a 503 problem when too many computations run already or `work` takes longer than the time limit;
    ///   otherwise what `work` throws.
    func run<T: Sendable>(_ what: String, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let admitted = running.withLock { count in
            guard count < concurrent else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw Problem.busy("\(concurrent) computations are running already; try again in a few seconds")
        }
        defer { running.withLock { $0 -= 1 } }
        let limit = timeLimit
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw Problem.busy(
                    "the \(what) took longer than \(limit.components.seconds) s and was stopped; ask for less (fewer trials, a smaller catalogue)"
                )
            }
            return result
        }
    }
}

extension Problem {
    /// 503: the node will not do this now; the request may be sent again later.
    static func busy(_ detail: String) -> Problem {
        Problem(slug: "busy", title: "Too busy to compute this now", status: .serviceUnavailable, detail: detail)
    }
}
