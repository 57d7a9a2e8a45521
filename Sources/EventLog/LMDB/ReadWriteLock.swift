#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reader-writer lock over `pthread_rwlock_t`.
///
/// Every LMDB transaction holds it shared; changing the map size and closing the
/// environment hold it exclusively, because LMDB allows both only while no
/// transaction of this process is live.
final class ReadWriteLock: @unchecked Sendable {
    // Safety: the pthread lock is allocated once, never moved, and is itself thread-safe.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func lockShared() { pthread_rwlock_rdlock(lock) }
    func lockExclusive() { pthread_rwlock_wrlock(lock) }
    func unlock() { pthread_rwlock_unlock(lock) }

    func withExclusive<T>(_ body: () throws -> T) rethrows -> T {
        lockExclusive()
        defer { unlock() }
        return try body()
    }
}
