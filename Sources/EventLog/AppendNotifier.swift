import Synchronization

/// Wakes subscribers of this process when an append commits.
package final class AppendNotifier: Sendable {
    private struct State {
        var published: UInt64 = 0
        var nextID = 0
        var waiters: [Int: (after: UInt64, continuation: CheckedContinuation<Void, Never>)] = [:]
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())

    package init() {}

    /// Records that the log reaches `position` and wakes those waiting for it.
    package func publish(_ position: UInt64) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.published = max(state.published, position)
            let due = state.waiters.filter { $0.value.after < position }
            for id in due.keys { state.waiters.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns when a position after `position` is published, after `timeout`
    /// (to look for appends of other processes), or when the task is cancelled.
    package func wait(after position: UInt64, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForPublish(after: position) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForPublish(after position: UInt64) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.published > position || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = (position, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter.continuation }
                state.cancelled.insert(id)
                return nil
            }
            continuation?.resume()
        }
    }
}
