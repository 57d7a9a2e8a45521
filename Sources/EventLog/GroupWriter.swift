import Dispatch
import Synchronization

/// One append waiting for the writer.
struct PendingAppend: Sendable {
    enum Completion: Sendable {
        case waiter(SyncWaiter)
        case continuation(CheckedContinuation<Result<AppendResult, EventLogError>, Never>)

        func resume(with result: Result<AppendResult, EventLogError>) {
            switch self {
            case .waiter(let waiter): waiter.resume(with: result)
            case .continuation(let continuation): continuation.resume(returning: result)
            }
        }
    }

    var stream: String
    var events: [ProposedEvent]
    var expected: ExpectedVersion
    var completion: Completion
}

/// Group commit: appends queue up while the writer commits, and the writer takes
/// all that queued into its next transaction, so concurrent appends share one
/// commit (and one flush to disk).
///
/// The writer runs on a serial dispatch queue, outside Swift's cooperative pool,
/// so async appenders never block its threads.
final class GroupWriter: Sendable {
    private let pending = Mutex<[PendingAppend]>([])
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Queues `request`; `commit` receives it with whatever else queued meanwhile.
    func submit(_ request: PendingAppend, commit: @escaping @Sendable ([PendingAppend]) -> Void) {
        pending.withLock { $0.append(request) }
        queue.async {
            let group = self.pending.withLock { queued -> [PendingAppend] in
                defer { queued.removeAll(keepingCapacity: true) }
                return queued
            }
            if !group.isEmpty { commit(group) }
        }
    }

    /// Waits until every queued append has been committed or failed.
    func flush() {
        queue.sync {}
    }
}

/// Blocks a thread until the writer answers.
final class SyncWaiter: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<AppendResult, EventLogError>?>(nil)

    func resume(with value: Result<AppendResult, EventLogError>) {
        result.withLock { $0 = value }
        semaphore.signal()
    }

    func wait() -> Result<AppendResult, EventLogError> {
        semaphore.wait()
        return result.withLock { $0! }
    }
}
