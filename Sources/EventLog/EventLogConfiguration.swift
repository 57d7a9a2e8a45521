public import CoreMetrics

/// How to open a ledger. Every property has a default that suits a service desk.
public struct EventLogConfiguration: Sendable {
    /// Whether an acknowledged append must survive a crash of the process and of the machine.
    public enum Durability: Sendable, Hashable {
        /// Every commit is flushed to disk before the append returns (LMDB's
        /// default sync commit). An acknowledged append survives `kill -9` and
        /// power loss. Concurrent appends share one flush (group commit).
        case durable
        /// Commits are not flushed (LMDB's `MDB_NOSYNC`). The log stays consistent
        /// (atomic, ordered, chained) after a crash of the process, because the
        /// operating system still holds the written pages; but a crash of the
        /// machine or a power loss can lose the appends since the last
        /// ``EventLog/sync()``, and on a file system that reorders writes it can
        /// damage the ledger. ``EventLog/close()`` syncs.
        case buffered
    }

    /// Read-write (one writer at a time across processes, many readers) or read-only.
    public enum AccessMode: Sendable, Hashable {
        /// Create the ledger if missing; append and read.
        case readWrite
        /// Read only. Works on a copy whose files and folder cannot be written:
        /// then LMDB's lock file is not used, so nothing may write that copy while
        /// it is open.
        case readOnly
    }

    /// Read-write or read-only.
    public var access: AccessMode = .readWrite
    /// Durable (default) or buffered.
    public var durability: Durability = .durable
    /// The map size to start with, in bytes. The map grows by itself when full.
    public var initialMapSize: Int = 64 << 20
    /// The map never grows beyond this; an append that would need more fails with
    /// ``EventLogError/Code/storageFull`` and writes nothing.
    public var maximumMapSize: Int = 1 << 40
    /// The most read transactions open at once across all processes (LMDB's `maxreaders`).
    public var maximumReaders: UInt32 = 254
    /// Create the folder and the ledger if missing (read-write only).
    public var createIfMissing: Bool = true
    /// How often a subscription looks for events appended by another process.
    /// Appends of this process wake subscribers at once.
    public var pollInterval: Duration = .milliseconds(50)

    /// Where `recordedAt` comes from: the system's wall clock unless set. A
    /// simulation or a test sets it to make ledgers byte-identical from run to run.
    public var clock: @Sendable () -> Timestamp = { Timestamp.now() }

    /// Where the ledger's metrics go (<doc:Metrics>): the factory bootstrapped
    /// with `MetricsSystem` when nil (so a service bootstraps once, before opening).
    public var metricsFactory: (any MetricsFactory)?

    /// The defaults: read-write, durable, 64 MiB initial map.
    public init() {}

    /// The defaults with the given changes.
    public init(
        access: AccessMode = .readWrite, durability: Durability = .durable, initialMapSize: Int = 64 << 20
    ) {
        self.access = access
        self.durability = durability
        self.initialMapSize = initialMapSize
    }
}
