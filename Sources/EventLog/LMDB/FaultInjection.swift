internal import CLMDB
import Synchronization

/// Failures the package's tests inject into the log's LMDB calls, as
/// swift-system mocks its system calls: a chosen call of a chosen step of a
/// write fails with a chosen code instead of reaching LMDB. Off unless a test
/// arms it (one relaxed atomic load per call), and only for the ledger at the
/// path it names, so tests running side by side are untouched.
package enum LMDBFaultInjection {
    /// A step of a write, in order.
    package enum Step: String, Sendable, CaseIterable {
        /// `mdb_txn_begin` of the write transaction.
        case begin
        /// An `mdb_put` (a record, an index entry, the head).
        case put
        /// `mdb_txn_commit`: an injected failure aborts the transaction instead.
        case commit
        /// `mdb_env_sync` (``EventLog/sync()`` of a buffered ledger, and close).
        case sync
    }

    private struct Plan {
        var path: String
        var step: Step
        var remaining: Int
        var code: Int32
    }

    private static let armed = Atomic<Bool>(false)
    private static let plan = Mutex<Plan?>(nil)

    /// Makes the `occurrence`th call of `step` (1: the next) on the ledger at
    /// `path` fail with `code` (an errno such as `ENOSPC` or `EIO`, or an LMDB
    /// code such as ``mapFull``), once.
    package static func arm(path: String, _ step: Step, occurrence: Int = 1, code: Int32) {
        plan.withLock { $0 = Plan(path: path, step: step, remaining: max(occurrence, 1), code: code) }
        armed.store(true, ordering: .sequentiallyConsistent)
    }

    /// Whether the armed failure has not happened yet.
    package static var isPending: Bool { plan.withLock { $0 != nil } }

    /// Removes an armed failure that has not happened.
    package static func disarm() {
        plan.withLock { $0 = nil }
        armed.store(false, ordering: .sequentiallyConsistent)
    }

    /// LMDB's `MDB_MAP_FULL`.
    package static var mapFull: Int32 { MDB_MAP_FULL }

    /// The code `step` on the ledger at `path` must fail with now, if any.
    static func failure(_ step: Step, path: @autoclosure () -> String) -> Int32? {
        guard armed.load(ordering: .relaxed) else { return nil }
        let here = path()
        return plan.withLock { current -> Int32? in
            guard var armedPlan = current, armedPlan.step == step, armedPlan.path == here else { return nil }
            armedPlan.remaining -= 1
            guard armedPlan.remaining == 0 else {
                current = armedPlan
                return nil
            }
            current = nil
            armed.store(false, ordering: .relaxed)
            return armedPlan.code
        }
    }

    /// The path of the environment a transaction belongs to.
    static func path(of txn: OpaquePointer) -> String {
        var path: UnsafePointer<CChar>?
        guard mdb_env_get_path(mdb_txn_env(txn), &path) == 0, let path else { return "" }
        return String(cString: path)
    }
}
