public import CoreMetrics
public import EventLog
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
import Crypto
import TicketLedger

extension DeskProjector {
    /// Snapshots are JSON with sorted keys: the same state gives the same bytes.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

/// Replays a log into a ``DeskProjector``.
public enum ProjectionEngine {
    /// Replays `log` from the start (or from `snapshot`) up to its end, or up to
    /// the options' as-of position; events after the as-of time are passed over.
    ///
    /// - Parameters:
    ///   - log: the ledger.
    ///   - options: what to compute; a snapshot is resumed only with the options it was made with.
    ///   - snapshot: a projector to continue from (its position on), or `nil` to start at position 1.
    ///   - progress: called every 65,536 events with the position reached.
    ///   - alongside: also called with every record the projector is given, so that another
    ///     analysis (a ``FlowAnalyzer``) is fed by the same pass.
    public static func replay(
        _ log: any EventStore, options: ProjectionOptions = .init(), from snapshot: DeskProjector? = nil,
        progress: ((UInt64) -> Void)? = nil, alongside: ((RecordView) throws -> Void)? = nil
    ) throws -> DeskProjector {
        var projector = snapshot ?? DeskProjector(options: options)
        guard projector.options == options else {
            throw DeskError(.invalidArgument, "a snapshot is only resumed with the options it was made with (\(projector.options), not \(options))")
        }
        guard projector.position < options.asOfPosition ?? .max else { return projector }
        try pass(log, from: projector.position + 1, upTo: options.asOfPosition, progress: nil) { record in
            try projector.apply(record)
            try alongside?(record)
            if record.position & 0xFFFF == 0 { progress?(record.position) }
        }
        progress?(projector.position)
        return projector
    }

    /// Brings every projection of `projections` up to the ledger's end (or up to
    /// `limit`, or its own ``Projection/limit``) in one pass over the records:
    /// the pass starts after the lowest position among them, and each one is
    /// given only the records after its own position. Deterministic: the same
    /// ledger gives each projection the same state whatever position it started from.
    ///
    /// - Parameters:
    ///   - log: the ledger.
    ///   - projections: the projections, each at its position (0 for a new one, or a snapshot's).
    ///   - limit: the last position to apply, or `nil` for the ledger's end.
    ///   - progress: called every 65,536 events with the position reached.
    public static func catchUp(
        _ log: any EventStore, _ projections: inout [any Projection], upTo limit: UInt64? = nil, progress: ((UInt64) -> Void)? = nil
    ) throws {
        guard let lowest = projections.map(\.position).min() else { return }
        let limits = projections.map { min($0.limit ?? .max, limit ?? .max) }
        let end = limits.max() ?? .max
        guard lowest < end else { return }
        try pass(log, from: lowest + 1, upTo: end == .max ? nil : end, progress: progress) { record in
            for index in projections.indices where projections[index].position < record.position && record.position <= limits[index] {
                try projections[index].apply(record)
            }
        }
    }

    /// One pass over the records from `start` to `limit` (or the end), in log order.
    static func pass(_ log: any EventStore, from start: UInt64, upTo limit: UInt64?, progress: ((UInt64) -> Void)?, _ body: (RecordView) throws -> Void) throws {
        struct Stop: Error {}
        let limit = limit ?? .max
        var last: UInt64 = 0
        do {
            try log.forEachRecord(from: start) { record in
                if record.position > limit { throw Stop() }
                try body(record)
                last = record.position
                if record.position & 0xFFFF == 0 { progress?(record.position) }
            }
        } catch is Stop {
        }
        if last > 0 { progress?(last) }
    }
}

/// Where projection snapshots are kept: in the ledger itself (``ledger``: its
/// `snapshots` database or table, found by any process that opens the ledger,
/// the CLI included), or in files of a folder (``init(directory:)``).
///
/// A snapshot names the ledger position it reached and that record's hash; it is
/// used only when the ledger still has that record with that hash and the
/// projection's name, ``Projection/version`` and ``Projection/configuration``
/// are the same. Anything else is ignored (and the replay starts from the
/// beginning), never misread.
public struct SnapshotStore: Sendable {
    /// The folder of the snapshot files, or nil for snapshots kept in the ledger.
    public let directory: String?

    /// Snapshots kept in the ledger (`EventStore.saveProjectionSnapshot(_:)`).
    public static let ledger = SnapshotStore(place: nil)

    /// A store in `directory` (created when the first snapshot is saved).
    public init(directory: String) {
        self.directory = directory
    }

    private init(place: String?) {
        directory = place
    }

    func file(for key: String) -> String? {
        directory.map { "\($0)/\(key).snapshot" }
    }

    /// Saves `projection`'s state at its position (atomically: in a transaction
    /// of its own, or a temporary file renamed over the old one). A projection
    /// at position 0 is not saved.
    ///
    /// - Throws: when the ledger is read-only, or the file cannot be written or
    ///   renamed into place (the snapshot before, if any, is then left as it was).
    public func save(_ projection: some Projection, log: any EventStore) throws {
        guard projection.position > 0, let record = try log.event(at: projection.position) else { return }
        let snapshot = ProjectionSnapshot(
            key: projection.snapshotKey, position: projection.position, recordHash: record.hash, state: try Self.state(of: projection))
        guard let directory, let path = file(for: snapshot.key) else {
            try log.saveProjectionSnapshot(snapshot)
            return
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".tmp"
        try Data(snapshot.storedValue).write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw DeskError(.storage, "cannot put the snapshot in place at '\(path)': \(reason)")
        }
    }

    /// The latest usable snapshot of a projection like `projection` (same name,
    /// version and configuration) on `log`, or `nil`.
    public func load<P: Projection>(matching projection: P, log: any EventStore) -> P? {
        let key = projection.snapshotKey
        let stored: ProjectionSnapshot?
        if let path = file(for: key) {
            stored = FileManager.default.contents(atPath: path).flatMap { data in
                try? data.withUnsafeBytes { try ProjectionSnapshot(key: key, storedValue: $0) }
            }
        } else {
            stored = try? log.projectionSnapshot(key: key)
        }
        guard let stored, stored.key == key,
            let record = try? log.event(at: stored.position), record.hash == stored.recordHash,
            let bytes = Self.checked(stored.state),
            let state = try? P(snapshotData: bytes),
            state.configuration == projection.configuration, state.position == stored.position
        else { return nil }
        return state
    }

    /// What a snapshot stores of `projection`: the SHA-256 of its state's
    /// bytes, then those bytes. A snapshot is not covered by the ledger's chain;
    /// the digest makes a damaged one (a flipped bit, a cut value) ignored
    /// rather than read.
    package static func state(of projection: some Projection) throws -> [UInt8] {
        let bytes = try projection.snapshotData()
        return Array(SHA256.hash(data: bytes)) + bytes
    }

    /// The state's bytes of a stored snapshot (``state(of:)``) when its digest holds, or nil.
    static func checked(_ stored: [UInt8]) -> Data? {
        guard stored.count >= 32 else { return nil }
        let bytes = Data(stored[32...])
        return SHA256.hash(data: bytes).elementsEqual(stored[0..<32]) ? bytes : nil
    }

    /// The latest usable snapshot of a desk projector with `options` on `log`, or `nil`.
    public func load(options: ProjectionOptions, log: any EventStore) -> DeskProjector? {
        load(matching: DeskProjector(options: options), log: log)
    }

    /// Each projection of `projections` replaced by its latest usable snapshot, where there is one.
    public func load(_ projections: [any Projection], log: any EventStore) -> [any Projection] {
        projections.map { load(matching: $0, log: log) ?? $0 }
    }
}

/// A projector kept current by following the log: what an embedding service
/// reads its live queues and metrics from. Runs as a swift-service-lifecycle
/// `Service` (or call ``run()`` in a task of your own).
public final class LiveProjection: Service, Sendable {
    private let log: any EventStore
    private let options: ProjectionOptions
    private let store: SnapshotStore?
    private let snapshotEvery: Int
    private let logger: Logger
    private let state: Mutex<DeskProjector>
    private let metrics: ProjectionMetrics
    /// Tasks waiting for a position (``waitUntil(position:)``), and whether the projection has stopped.
    private let waiters = Mutex(Waiters())

    private struct Waiters {
        var waiting: [Int: (position: UInt64, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var nextID = 0
        var stopped = false
    }

    /// Starts from the latest snapshot in `store` if there is a usable one, and
    /// saves a new snapshot every `snapshotEvery` events and when it stops.
    /// Its position, lag and events go to `metricsFactory` (the one bootstrapped
    /// with `MetricsSystem` when nil; see the Metrics article of `EventLog`).
    public init(
        log: any EventStore, options: ProjectionOptions = .init(), store: SnapshotStore? = nil, snapshotEvery: Int = 100_000,
        logger: Logger = Logger(label: "TicketLedger.LiveProjection"), metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.log = log
        self.options = options
        self.store = store
        self.snapshotEvery = snapshotEvery
        self.logger = logger
        metrics = ProjectionMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        state = Mutex(store?.load(options: options, log: log) ?? DeskProjector(options: options))
    }

    /// A copy of the projector as it is now. The projector's next change then
    /// copies its storage once; to read a figure or two, ``read(_:)`` copies nothing.
    public var current: DeskProjector { state.withLock { $0 } }

    /// Runs `body` with the projector as it is now, under the projection's lock
    /// and without copying it: keep `body` short (the projection waits for it).
    public func read<T>(_ body: (borrowing DeskProjector) throws -> T) rethrows -> T {
        try state.withLock { try body($0) }
    }

    /// Waits until the projection has applied the ledger up to `position`: after
    /// an append of one's own (its position, or the ledger's last position), a
    /// read then shows it (read-your-writes). Returns at once when it already has.
    ///
    /// - Throws: `CancellationError` when the waiting task is cancelled or the
    ///   projection stops first.
    public func waitUntil(position: UInt64) async throws {
        let id = waiters.withLock { waiters in
            defer { waiters.nextID += 1 }
            return waiters.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resume: Result<Void, any Error>? = waiters.withLock { waiters in
                    if state.withLock({ $0.position }) >= position { return .success(()) }
                    if waiters.stopped || Task.isCancelled { return .failure(CancellationError()) }
                    waiters.waiting[id] = (position, continuation)
                    return nil
                }
                if let resume { continuation.resume(with: resume) }
            }
        } onCancel: {
            waiters.withLock { $0.waiting.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Resumes the waiters whose position the projection has reached; when it
    /// stops, the others with `CancellationError`.
    private func wake(upTo position: UInt64, stopping: Bool = false) {
        let (ready, failed) = waiters.withLock { waiters in
            if stopping { waiters.stopped = true }
            var ready: [CheckedContinuation<Void, any Error>] = []
            var failed: [CheckedContinuation<Void, any Error>] = []
            for (id, waiter) in waiters.waiting where waiter.position <= position || stopping {
                waiters.waiting[id] = nil
                if waiter.position <= position { ready.append(waiter.continuation) } else { failed.append(waiter.continuation) }
            }
            return (ready, failed)
        }
        for continuation in ready { continuation.resume() }
        for continuation in failed { continuation.resume(throwing: CancellationError()) }
    }

    /// Catches up, then follows new events until cancelled or shut down gracefully.
    public func run() async throws {
        defer { wake(upTo: state.withLock { $0.position }, stopping: true) }
        var start = state.withLock { $0.position } + 1
        // Catch up in place first (faster than the subscription's copies).
        let caughtUp = try ProjectionEngine.replay(log, options: options, from: current)
        state.withLock { $0 = caughtUp }
        wake(upTo: caughtUp.position)
        start = caughtUp.position + 1
        logger.info("projection caught up", metadata: ["position": "\(caughtUp.position)"])
        try metrics.measureLag(position: caughtUp.position, log: log)
        var sinceSnapshot = 0
        do {
            for try await event in log.subscribe(from: start).cancelOnGracefulShutdown() {
                try state.withLock { try $0.apply(event) }
                wake(upTo: event.position)
                try metrics.applied(event.position, log: log)
                sinceSnapshot += 1
                if sinceSnapshot >= snapshotEvery, let store {
                    try store.save(current, log: log)
                    sinceSnapshot = 0
                }
            }
        } catch is CancellationError {
        }
        if let store { try store.save(current, log: log) }
    }
}

/// A live projection's metrics: its position and events as they are applied,
/// its lag behind the ledger after catching up and then at most once a second
/// while events arrive (reading the ledger's last position costs a read).
private final class ProjectionMetrics: Sendable {
    let position: Gauge
    let lag: Gauge
    let events: Counter
    let lastLagCheck = Mutex(ContinuousClock.now)

    init(factory: any MetricsFactory) {
        position = Gauge(label: LedgerMetricLabel.projectionPosition, factory: factory)
        lag = Gauge(label: LedgerMetricLabel.projectionLag, factory: factory)
        events = Counter(label: LedgerMetricLabel.projectionEvents, factory: factory)
    }

    func applied(_ applied: UInt64, log: any EventStore) throws {
        events.increment()
        let due = lastLagCheck.withLock { last in
            guard ContinuousClock.now - last >= .seconds(1) else { return false }
            last = .now
            return true
        }
        if due { try measureLag(position: applied, log: log) } else { position.record(applied) }
    }

    func measureLag(position applied: UInt64, log: any EventStore) throws {
        position.record(applied)
        lag.record(max(try log.lastPosition(), applied) - applied)
    }
}
