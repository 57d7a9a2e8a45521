/// What every ledger backend provides: an append-only log of chained records,
/// with the same record bytes, chain hash and guarantees whatever stores them.
///
/// Two backends conform: ``EventLog`` (LMDB, one machine, in-process) and
/// `PostgresEventLog` (PostgreSQL, several hosts; module `PostgresEventLog`).
/// The `Desk`, the projection engine, the exports and every `desk` command take
/// `any EventStore`, so they work on either.
///
/// The guarantees a conforming store keeps:
/// - global positions are gapless from 1, in commit order, and a reader never
///   sees a position before every smaller one is visible;
/// - stream versions are gapless from 1; an append with a wrong
///   ``ExpectedVersion`` writes nothing and reports the actual version;
/// - an event id is stored once: retrying a stored batch returns its original
///   result (``AppendResult/wasAlreadyStored``), a batch of which only some ids
///   are stored fails with ``EventLogError/Code/duplicateEventID``;
/// - an append of several streams lands whole or not at all;
/// - reads only move forward: a read begun after another never shows fewer records;
/// - every record is the ``RecordFormat`` encoding with its chain hash, so a
///   ledger copied between backends keeps its chain head.
public protocol EventStore: AnyObject, Sendable {
    /// Where the ledger is: a folder path or a URL without its password. For messages.
    var location: String { get }

    /// A short name for the ledger (exports carry it): by default the last part of ``location``.
    var name: String { get }

    /// Appends to one or more streams atomically, blocking the calling thread
    /// until committed. Every stream's events land, in the order given, or none do.
    ///
    /// - Returns: one result per stream append, in order.
    /// - Throws: ``EventLogError``: ``EventLogError/Code/wrongExpectedVersion``,
    ///   ``EventLogError/Code/duplicateEventID``, ``EventLogError/Code/invalidArgument``,
    ///   ``EventLogError/Code/readOnly``, ``EventLogError/Code/storageFull``,
    ///   ``EventLogError/Code/storage``. A failed append writes nothing.
    func append(_ appends: [StreamAppend]) throws -> [AppendResult]

    /// Appends to one or more streams atomically without blocking a thread of
    /// the cooperative pool. Same guarantees and errors as the blocking variant.
    func append(_ appends: [StreamAppend]) async throws -> [AppendResult]

    /// Appends records copied from another ledger byte for byte (see
    /// ``copy(to:batchSize:progress:)``), all or none, blocking the calling
    /// thread. Each must hold the next position, chain to the head, continue its
    /// stream's versions and carry an id not stored yet.
    ///
    /// - Returns: the new chain head.
    /// - Throws: ``EventLogError/Code/corruptRecord`` naming the first record
    ///   that does not follow, ``EventLogError/Code/wrongExpectedVersion``,
    ///   ``EventLogError/Code/duplicateEventID``; nothing is written then.
    func appendCopies(_ records: [[UInt8]]) throws -> ChainHead

    /// The chain head: the last position (0 when empty) and its hash.
    func head() throws -> ChainHead

    /// The last position, 0 for an empty log.
    func lastPosition() throws -> UInt64

    /// The stored chain head and the last stored position, read together from
    /// one consistent snapshot (one read transaction, one statement), so that no
    /// append can fall between them. ``verify(progress:)`` checks the records up to
    /// that position against that head, however busy the writers are.
    func storedHead() throws -> StoredHead

    /// Checks what finds events besides their positions against the records
    /// themselves (LMDB: the `streams` and `ids` databases; PostgreSQL: the
    /// `stream`, `version` and `event_id` columns): every record is in its stream
    /// once at its version and found by its id. ``verify(progress:)`` calls it
    /// after the chain holds.
    ///
    /// - Returns: the first mismatch, naming the stream or the id; nil when they agree.
    func checkIndexes() throws -> IndexMismatch?

    /// A stream's current version (its last event's version), 0 when it has no events.
    func streamVersion(_ stream: String) throws -> UInt64

    /// Passes every record from `position` on (at most `limit`) to `body`, in
    /// order. The view is valid only during the call of `body`.
    ///
    /// - Returns: the number of records passed.
    @discardableResult
    func forEachRecord(from position: UInt64, limit: Int, _ body: (RecordView) throws -> Void) throws -> Int

    /// Passes every stream's id and version to `body`, in the streams' byte order.
    ///
    /// - Returns: the number of streams.
    @discardableResult
    func forEachStream(_ body: (String, UInt64) throws -> Void) throws -> Int

    /// The event with this id, or nil.
    func event(id: EventID) throws -> RecordedEvent?

    /// How many records the proof index (``ProofIndex``) covers: the last
    /// position on a ledger this version writes; less on one written before the
    /// index existed and not opened for writing since. 0 for a store without one.
    func proofIndexSize() throws -> UInt64

    /// The stored tree node at `level` (``ProofIndex/storedLevel`` or above) and
    /// `index`, or nil when it is not stored.
    func treeNode(level: Int, index: UInt64) throws -> MerkleTree.Hash?

    /// Passes each stream's ``StreamEntry`` in the map of the first `size`
    /// records (at most ``proofIndexSize()``) to `body`, in the byte order of the
    /// stream ids, from the proof index: one entry per stream, no record read.
    ///
    /// - Returns: the number of streams.
    @discardableResult
    func forEachStreamEntry(size: UInt64, _ body: (StreamEntry) throws -> Void) throws -> Int

    /// The projection snapshot stored under `key` (``ProjectionSnapshot``), or
    /// nil when there is none (or the store keeps none, as a ledger written
    /// before 0.5 opened read-only).
    func projectionSnapshot(key: String) throws -> ProjectionSnapshot?

    /// Stores `snapshot` under its key, replacing the one stored before, in a
    /// transaction of its own (after the appends queued before it). The log is
    /// not touched.
    ///
    /// - Throws: ``EventLogError/Code/readOnly`` on a store opened read-only.
    func saveProjectionSnapshot(_ snapshot: ProjectionSnapshot) throws

    /// Up to `limit` events of one stream, from version `version` on (forward),
    /// or from `version` down (backward; `.max` means from the newest).
    func readStream(_ stream: String, from version: UInt64, direction: ReadDirection, limit: Int) throws -> [RecordedEvent]

    /// The bytes the ledger takes in its storage (LMDB's data file; PostgreSQL's
    /// table with its indexes and TOAST).
    func storageBytes() throws -> Int64

    /// Returns when a position after `position` may have been appended: at once
    /// for appends this store sees, within a poll interval for others; or when
    /// the task is cancelled. Subscriptions call it between reads.
    func waitForAppend(after position: UInt64) async

    /// Finishes pending appends and closes the store. Later calls fail with
    /// ``EventLogError/Code/closed``. Closing twice is harmless.
    func close()
}

extension EventStore {
    /// No proof index: proofs are computed from the records.
    public func proofIndexSize() throws -> UInt64 { 0 }

    /// No proof index: no node is stored.
    public func treeNode(level: Int, index: UInt64) throws -> MerkleTree.Hash? { nil }

    /// No proof index: throws.
    @discardableResult
    public func forEachStreamEntry(size: UInt64, _ body: (StreamEntry) throws -> Void) throws -> Int {
        throw EventLogError(.invalidArgument, "the ledger at '\(location)' keeps no proof index")
    }

    /// No snapshots kept: none is found.
    public func projectionSnapshot(key: String) throws -> ProjectionSnapshot? { nil }

    /// No snapshots kept: throws.
    public func saveProjectionSnapshot(_ snapshot: ProjectionSnapshot) throws {
        throw EventLogError(.invalidArgument, "the ledger at '\(location)' keeps no projection snapshots")
    }

    /// The last part of ``location``.
    public var name: String {
        String(location.split(separator: "/").last ?? Substring(location))
    }

    /// Appends `events` to `stream` as one atomic batch, blocking the calling
    /// thread until it is committed.
    ///
    /// - Returns: the positions and stream versions of the batch; when every event
    ///   id is stored already, the original ones with ``AppendResult/wasAlreadyStored``.
    public func append(_ events: [ProposedEvent], to stream: String, expecting expected: ExpectedVersion = .any) throws -> AppendResult {
        try append([StreamAppend(stream: stream, events: events, expected: expected)])[0]
    }

    /// Appends `events` to `stream` as one atomic batch without blocking a thread
    /// of the cooperative pool.
    public func append(_ events: [ProposedEvent], to stream: String, expecting expected: ExpectedVersion = .any) async throws -> AppendResult {
        try await append([StreamAppend(stream: stream, events: events, expected: expected)])[0]
    }

    /// Passes every record from `position` on to `body`, in order.
    @discardableResult
    public func forEachRecord(from position: UInt64, _ body: (RecordView) throws -> Void) throws -> Int {
        try forEachRecord(from: position, limit: .max, body)
    }

    /// Every event of one stream from version `version` on (forward) or down (backward).
    public func readStream(_ stream: String, from version: UInt64 = 1, direction: ReadDirection = .forward) throws -> [RecordedEvent] {
        try readStream(stream, from: version, direction: direction, limit: .max)
    }

    /// Up to `limit` events of one stream from version `version` on, oldest first.
    public func readStream(_ stream: String, from version: UInt64 = 1, limit: Int) throws -> [RecordedEvent] {
        try readStream(stream, from: version, direction: .forward, limit: limit)
    }

    /// Up to `limit` events from `position` on, in order.
    public func read(from position: UInt64, limit: Int = 1000) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        events.reserveCapacity(min(limit, 4096))
        try forEachRecord(from: position, limit: limit) { record in
            events.append(record.materialize())
        }
        return events
    }

    /// The event at `position`, or nil past the end.
    public func event(at position: UInt64) throws -> RecordedEvent? {
        guard position >= 1 else { return nil }
        return try read(from: position, limit: 1).first { $0.position == position }
    }

    /// Follows the log from `position` on: first the stored events, then new ones
    /// as they are appended. Ends when the task is cancelled; throws
    /// ``EventLogError/Code/closed`` when the store is closed.
    public func subscribe(from position: UInt64 = 1, batchSize: Int = 512) -> EventSubscription {
        EventSubscription(log: self, start: max(position, 1), batchSize: max(batchSize, 1))
    }
}

extension StreamAppend {
    /// The error for an append whose stream is at `current` when it expected
    /// otherwise, or nil when the expectation holds. Every backend checks it.
    package func versionMismatch(current: UInt64) -> EventLogError? {
        switch expected {
        case .noStream where current != 0, .exactly(_) where expected != .exactly(current):
            let wanted = if case .exactly(let n) = expected { "version \(n)" } else { "no stream" }
            return EventLogError(
                .wrongExpectedVersion, "stream '\(stream)' is at version \(current); the append expected \(wanted)",
                actualVersion: current)
        default:
            return nil
        }
    }
}

extension [StreamAppend] {
    /// Checks a batch before anything is written: at least one stream, no empty
    /// append, valid fields, no event id twice. Every backend calls it.
    package func validate(location: String, readOnly: Bool) throws {
        guard let first = self.first else {
            throw EventLogError(.invalidArgument, "an append names no stream")
        }
        guard !readOnly else {
            throw EventLogError(.readOnly, "cannot append to stream '\(first.stream)': the ledger at '\(location)' is open read-only")
        }
        var seen = Set<EventID>()
        for append in self {
            guard !append.events.isEmpty else {
                throw EventLogError(.invalidArgument, "an append to stream '\(append.stream)' has no events")
            }
            for event in append.events {
                try RecordFormat.validate(event, streamID: append.stream)
                guard seen.insert(event.id).inserted else {
                    throw EventLogError(.invalidArgument, "event id \(event.id) appears twice in one append to stream '\(append.stream)'")
                }
            }
        }
    }
}

/// The events of a store from a position on, stored ones first, then new ones as
/// they are appended. Each event is delivered exactly once, in position order.
///
/// A store that is ``EventLogError/Code/unavailable`` (a PostgreSQL server
/// restarting, a network cut) does not end the subscription: it reads again from
/// the same position, waiting from 0.1 up to 5 seconds between tries, until the
/// store answers or the task is cancelled. Any other error ends it.
public struct EventSubscription: AsyncSequence, Sendable {
    /// Each stored event, once, in position order.
    public typealias Element = RecordedEvent
    let log: any EventStore
    let start: UInt64
    let batchSize: Int

    /// An iterator from the start position.
    public func makeAsyncIterator() -> Iterator {
        Iterator(log: log, next: start, batchSize: batchSize)
    }

    /// Reads batches and waits for appends between them.
    public struct Iterator: AsyncIteratorProtocol {
        let log: any EventStore
        var next: UInt64
        let batchSize: Int
        var buffer: [RecordedEvent] = []
        var index = 0
        var retryDelay: Duration = .zero

        init(log: any EventStore, next: UInt64, batchSize: Int) {
            self.log = log
            self.next = next
            self.batchSize = batchSize
        }

        /// The next event, waiting for one to be appended if need be; `nil` when the task is cancelled.
        public mutating func next() async throws -> RecordedEvent? {
            while true {
                if index < buffer.count {
                    index += 1
                    return buffer[index - 1]
                }
                if Task.isCancelled { return nil }
                do {
                    buffer = try log.read(from: next, limit: batchSize)
                    retryDelay = .zero
                } catch let error as EventLogError where error.code == .unavailable {
                    // The server restarts or cannot be reached: wait, then read
                    // from the same position again (nothing is skipped or repeated).
                    retryDelay = Swift.min(Swift.max(retryDelay * 2, .milliseconds(100)), .seconds(5))
                    do { try await Task.sleep(for: retryDelay) } catch { return nil }
                    continue
                }
                index = 0
                if let last = buffer.last {
                    next = last.position + 1
                } else {
                    await log.waitForAppend(after: next - 1)
                }
            }
        }
    }
}

/// How a ledger's location names its backend: the one rule that every opener
/// (`openEventStore(at:configuration:)`, `desk --ledger`) follows.
public enum LedgerLocation {
    /// Whether `location` names a PostgreSQL ledger (it starts with `postgres://`
    /// or `postgresql://`); anything else is an LMDB folder.
    public static func isPostgresURL(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }
}
