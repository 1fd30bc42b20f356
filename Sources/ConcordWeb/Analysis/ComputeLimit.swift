import Foundation
import HTTPTypes
import Synchronization

/// Runs the node's heavy computations (risk registers, plans) off the request's task, a few at a time and each
/// within a time limit, so that a costly request gets a 503 problem instead of holding the node's cores.
///
/// The work runs in a child task, on the node's computation threads, that is cancelled when the limit passes;
/// the simulations and the planner's search look at cancellation as they go and stop.
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

    /// Runs `work` under the limits.
    ///
    /// The answer comes when the work ends or the limit passes, whichever is first: a cancelled computation may
    /// take a moment to notice (or to get a thread, when others hold them), and the caller does not wait for
    /// that. Its slot stays taken until the work has really stopped, so the cap on computations holds.
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
        let limit = timeLimit
        let outcome = Outcome<T>()
        let computation = Task(executorPreference: ComputeThreads.shared) { [self] in
            defer { running.withLock { $0 -= 1 } }
            do {
                outcome.finish(.success(try await work()))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            if !Task.isCancelled { outcome.finish(nil) }
        }
        defer {
            timer.cancel()
            computation.cancel()
        }
        let result = await withTaskCancellationHandler {
            await outcome.value()
        } onCancel: {
            outcome.finish(nil)
        }
        guard let result else {
            throw Problem.busy(
                "the \(what) took longer than \(limit.components.seconds) s and was stopped; ask for less (fewer trials, a smaller catalogue)"
            )
        }
        return try result.get()
    }
}

/// The first of a computation's result and its deadline, handed to the one waiting for it.
private final class Outcome<T: Sendable>: Sendable {
    private let state = Mutex<
        (done: Bool, value: Result<T, any Error>?, waiter: CheckedContinuation<Result<T, any Error>?, Never>?)
    >(
        (false, nil, nil)
    )

    /// Settles the outcome (nil: the deadline passed or the caller went away); later calls are ignored.
    func finish(_ value: Result<T, any Error>?) {
        let waiter = state.withLock { s -> CheckedContinuation<Result<T, any Error>?, Never>? in
            guard !s.done else { return nil }
            s.done = true
            s.value = value
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: value)
    }

    /// Waits for the outcome.
    func value() async -> Result<T, any Error>? {
        await withCheckedContinuation { continuation in
            let settled = state.withLock { s -> (Bool, Result<T, any Error>?) in
                if s.done { return (true, s.value) }
                s.waiter = continuation
                return (false, nil)
            }
            if settled.0 { continuation.resume(returning: settled.1) }
        }
    }
}

extension Problem {
    /// 503: the node will not do this now; the request may be sent again later.
    static func busy(_ detail: String) -> Problem {
        Problem(slug: "busy", title: "Too busy to compute this now", status: .serviceUnavailable, detail: detail)
    }
}

/// Threads of the node's own for heavy computations. Swift's shared pool has one thread a core and runs the
/// request handlers too; a simulation that kept every one of those threads busy would hold back every check,
/// and the timer that stops it, until it ended. On threads of their own, the computations are preempted by the
/// operating system like any other thread, and the pool stays free for requests.
final class ComputeThreads: TaskExecutor, @unchecked Sendable {
    /// The process's computation threads, one a core, started on first use.
    static let shared = ComputeThreads(threads: max(1, ProcessInfo.processInfo.activeProcessorCount))

    private let condition = NSCondition()
    /// Jobs waiting for a thread, oldest first; guarded by `condition`.
    private var waiting: [UnownedJob] = []

    private init(threads: Int) {
        for n in 0..<threads {
            let thread = Thread { [self] in serve() }
            thread.name = "concord-compute-\(n)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        waiting.append(job)
        condition.signal()
        condition.unlock()
    }

    private func serve() {
        while true {
            condition.lock()
            while waiting.isEmpty { condition.wait() }
            let job = waiting.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
