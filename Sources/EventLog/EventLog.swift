internal import CLMDB
public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An append-only event log in an LMDB environment: the ledger.
///
/// Events are grouped in streams (for TicketLedger, one per ticket or problem).
/// Every event gets a global position, gapless from 1 and assigned inside the
/// write transaction, so global order is commit order; and a chain hash,
/// `SHA-256(previous hash ‖ record bytes without the hash)`, that ``verify(progress:)``
/// recomputes. Nothing is ever updated or deleted.
///
/// One `EventLog` per ledger and process: share the instance (it is `Sendable`).
/// Several processes may open the same ledger; LMDB serialises their writers.
///
/// ```swift
/// let log = try EventLog(path: "/var/lib/desk/ledger")
/// let result = try await log.append([event], to: "ticket-42", expecting: .noStream)
/// for try await recorded in log.subscribe(from: 1) { ... }
/// ```
public final class EventLog: EventStore {
    /// The ledger's folder.
    public let path: String
    /// The configuration it was opened with.
    public let configuration: EventLogConfiguration
    let environment: LMDBEnvironment
    let notifier = AppendNotifier()
    let writer: GroupWriter
    let logger: Logger

    /// Opens (and, read-write, creates if missing) the ledger in the folder `path`.
    ///
    /// - Throws: ``EventLogError`` naming the path: ``EventLogError/Code/alreadyOpen``
    ///   when this process has it open already, ``EventLogError/Code/incompatibleFormat``
    ///   when it is not a ledger this library reads, ``EventLogError/Code/storage``
    ///   with LMDB's code for anything else.
    public init(path: String, configuration: EventLogConfiguration = .init(), logger: Logger = Logger(label: "TicketLedger.EventLog")) throws {
        self.path = path
        self.configuration = configuration
        self.logger = logger
        self.environment = try LMDBEnvironment(path: path, configuration: configuration, logger: logger)
        self.writer = GroupWriter(environment: environment, notifier: notifier, logger: logger, clock: configuration.clock, metrics: configuration.metricsFactory)
        if !environment.isReadOnly { try writer.upgradeIndex() }
        notifier.publish(try lastPosition())
    }

    deinit {
        close()
    }

    /// Finishes pending appends, syncs, and closes the ledger. Later calls fail
    /// with ``EventLogError/Code/closed``. Closing twice is harmless.
    public func close() {
        writer.flush()
        environment.close()
        notifier.publish(.max)
    }

    /// Flushes buffered commits to disk (for ``EventLogConfiguration/Durability/buffered``;
    /// harmless in durable mode).
    public func sync() throws {
        try environment.sync()
    }

    /// The current size of LMDB's map in bytes; it grows by itself.
    public var mapSize: Int { environment.mapSize }

    // MARK: - Appending

    /// Appends to several streams at once, atomically: every stream's events land,
    /// in the order given, or none do. Each stream keeps its own expected-version
    /// and idempotency checks; the first that fails is the error, and nothing of
    /// the batch is written. Blocks the calling thread.
    ///
    /// Concurrent appends, from threads or tasks, are committed together in one
    /// write transaction (group commit); each keeps its own checks and result.
    ///
    /// - Returns: one result per stream append, in order.
    public func append(_ appends: [StreamAppend]) throws -> [AppendResult] {
        try appends.validate(location: path, readOnly: environment.isReadOnly)
        let waiter = SyncWaiter()
        writer.submit(PendingAppend(appends: appends, completion: .waiter(waiter)))
        return try waiter.wait().get()
    }

    /// Appends to several streams at once, atomically, without blocking a thread
    /// of the cooperative pool.
    public func append(_ appends: [StreamAppend]) async throws -> [AppendResult] {
        try appends.validate(location: path, readOnly: environment.isReadOnly)
        let result: Result<[AppendResult], EventLogError> = await withCheckedContinuation { continuation in
            writer.submit(PendingAppend(appends: appends, completion: .continuation(continuation)))
        }
        return try result.get()
    }

    /// The ledger's folder.
    public var location: String { path }

    /// Appends records copied from another ledger byte for byte, in one transaction.
    public func appendCopies(_ records: [[UInt8]]) throws -> ChainHead {
        guard !environment.isReadOnly else {
            throw EventLogError(.readOnly, "cannot copy into '\(path)': the ledger is open read-only")
        }
        return try writer.copy(records)
    }

    /// The projection snapshot stored under `key` in the `snapshots` database, or nil.
    public func projectionSnapshot(key: String) throws -> ProjectionSnapshot? {
        guard let snapshots = environment.snapshots else { return nil }
        return try environment.read { (txn) throws in
            try txn.get(snapshots, key: Array(key.utf8)) { try ProjectionSnapshot(key: key, storedValue: $0) }
        }
    }

    /// Stores `snapshot` in the `snapshots` database, in a write transaction of
    /// its own on the writer's queue (after the appends queued before it).
    public func saveProjectionSnapshot(_ snapshot: ProjectionSnapshot) throws {
        guard !environment.isReadOnly, let snapshots = environment.snapshots else {
            throw EventLogError(.readOnly, "cannot save a projection snapshot in '\(path)': the ledger is open read-only")
        }
        let env = environment
        try writer.commitQueue.sync {
            try env.write { (txn) throws in
                try Array(snapshot.key.utf8).withUnsafeBytes { (key) throws in
                    // Written in place: at 10 M events the state is tens of megabytes.
                    try txn.put(snapshots, key: key, count: snapshot.storedValueCount) { snapshot.writeStoredValue(into: $0) }
                }
            }
        }
    }

    /// The size of LMDB's data file (`data.mdb`), in bytes.
    public func storageBytes() throws -> Int64 {
        var info = stat()
        guard stat(path + "/data.mdb", &info) == 0 else {
            throw EventLogError(.storage, "cannot read the size of '\(path)/data.mdb'")
        }
        return Int64(info.st_size)
    }

    /// Returns when this process appends after `position`, after
    /// ``EventLogConfiguration/pollInterval`` (to look for appends of other
    /// processes), or when the task is cancelled.
    public func waitForAppend(after position: UInt64) async {
        await notifier.wait(after: position, timeout: configuration.pollInterval)
    }
}
