internal import CLMDB
public import Logging
import Synchronization

/// An append-only event log in an LMDB environment: the ledger.
///
/// Events are grouped in streams (for TicketLedger, one per ticket or problem).
/// Every event gets a global position, gapless from 1 and assigned inside the
/// write transaction, so global order is commit order; and a chain hash,
/// `SHA-256(previous hash ‖ record bytes without the hash)`, that ``verify()``
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
public final class EventLog: Sendable {
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
        self.writer = GroupWriter(label: "TicketLedger.EventLog.writer \(path)")
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

    /// Appends `events` to `stream` as one atomic batch, blocking the calling
    /// thread until the batch is committed (and, in durable mode, on disk).
    ///
    /// Concurrent appends, from threads or tasks, are committed together in one
    /// write transaction (group commit); each keeps its own checks and result.
    ///
    /// - Returns: the positions and stream versions of the batch; when every event
    ///   id is stored already, the original ones with ``AppendResult/wasAlreadyStored``.
    /// - Throws: ``EventLogError/Code/wrongExpectedVersion`` with the actual version,
    ///   ``EventLogError/Code/duplicateEventID`` when only some ids are stored,
    ///   ``EventLogError/Code/invalidArgument``, ``EventLogError/Code/readOnly``,
    ///   ``EventLogError/Code/storageFull``. A failed append writes nothing.
    public func append(_ events: [ProposedEvent], to stream: String, expecting expected: ExpectedVersion = .any) throws -> AppendResult {
        try validate(events, stream: stream)
        let waiter = SyncWaiter()
        writer.submit(PendingAppend(stream: stream, events: events, expected: expected, completion: .waiter(waiter))) { group in
            self.commit(group)
        }
        return try waiter.wait().get()
    }

    /// Appends `events` to `stream` as one atomic batch without blocking a thread
    /// of the cooperative pool. Same guarantees and errors as the blocking variant.
    public func append(_ events: [ProposedEvent], to stream: String, expecting expected: ExpectedVersion = .any) async throws -> AppendResult {
        try validate(events, stream: stream)
        let result: Result<AppendResult, EventLogError> = await withCheckedContinuation { continuation in
            writer.submit(PendingAppend(stream: stream, events: events, expected: expected, completion: .continuation(continuation))) { group in
                self.commit(group)
            }
        }
        return try result.get()
    }

    private func validate(_ events: [ProposedEvent], stream: String) throws {
        guard !environment.isReadOnly else {
            throw EventLogError(.readOnly, "cannot append to stream '\(stream)': the ledger at '\(path)' is open read-only")
        }
        guard !events.isEmpty else {
            throw EventLogError(.invalidArgument, "an append to stream '\(stream)' has no events")
        }
        var seen = Set<EventID>()
        for event in events {
            try Record.validate(event, streamID: stream)
            guard seen.insert(event.id).inserted else {
                throw EventLogError(.invalidArgument, "event id \(event.id) appears twice in one append to stream '\(stream)'")
            }
        }
    }

    /// Commits a group of appends in one write transaction (on the writer's queue).
    private func commit(_ group: [PendingAppend]) {
        let recordedAt = Timestamp.now()
        do {
            let (results, head) = try environment.write { (txn) throws in
                var head = try readHead(txn)
                let start = head.position
                var buffer: [UInt8] = []
                var results: [Result<AppendResult, EventLogError>] = []
                results.reserveCapacity(group.count)
                for request in group {
                    results.append(try apply(request, txn: txn, head: &head, recordedAt: recordedAt, buffer: &buffer))
                }
                if head.position != start {
                    var value = head.position.littleEndian
                    var bytes = withUnsafeBytes(of: &value) { Array($0) }
                    bytes.append(contentsOf: head.hash)
                    try bytes.withUnsafeBytes { (raw) throws in
                        try txn.put(environment.meta, key: LMDBEnvironment.headKey, value: raw)
                    }
                }
                return (results, head)
            }
            notifier.publish(head.position)
            for (request, result) in zip(group, results) {
                request.completion.resume(with: result)
            }
        } catch {
            let failure = error as? EventLogError ?? EventLogError(.storage, "append to '\(path)' failed: \(error)")
            logger.error("append failed", metadata: ["path": "\(path)", "error": "\(failure)"])
            for request in group {
                request.completion.resume(with: .failure(failure))
            }
        }
    }

    /// Checks and writes one request inside the group's transaction. Returns a
    /// failure (having written nothing) for a rejected request; throws only for
    /// storage errors, which abort the whole group.
    private func apply(
        _ request: PendingAppend, txn: Txn, head: inout ChainHead, recordedAt: Timestamp, buffer: inout [UInt8]
    ) throws -> Result<AppendResult, EventLogError> {
        let env = environment
        var stored: [UInt64] = []
        for event in request.events {
            if let position = try txn.get(env.ids, key: event.id.bytes, { UInt64(bigEndianBytes: $0) }) {
                stored.append(position)
            }
        }
        if !stored.isEmpty {
            return try alreadyStored(request, positions: stored, txn: txn)
        }
        let current = try streamVersion(request.stream, txn: txn)
        switch request.expected {
        case .noStream where current != 0, .exactly(_) where request.expected != .exactly(current):
            let expected = if case .exactly(let n) = request.expected { "version \(n)" } else { "no stream" }
            return .failure(EventLogError(
                .wrongExpectedVersion,
                "stream '\(request.stream)' is at version \(current); the append expected \(expected)",
                actualVersion: current))
        default:
            break
        }
        let streamKey = Array(request.stream.utf8)
        let firstPosition = head.position + 1
        for (offset, event) in request.events.enumerated() {
            let position = head.position + 1
            buffer.removeAll(keepingCapacity: true)
            let hash = Record.encode(
                event, streamID: request.stream, streamVersion: current + 1 + UInt64(offset), position: position,
                recordedAt: recordedAt, previousHash: head.hash, into: &buffer)
            let positionKey = position.bigEndianBytes
            try buffer.withUnsafeBytes { (record) throws in
                try txn.put(env.events, key: positionKey, value: record, flags: MDB_APPEND)
            }
            try positionKey.withUnsafeBytes { (value) throws in
                try txn.put(env.streams, key: streamKey, value: value)
                try txn.put(env.ids, key: event.id.bytes, value: value, flags: MDB_NOOVERWRITE)
            }
            head = ChainHead(position: position, hash: hash)
        }
        let count = UInt64(request.events.count)
        return .success(AppendResult(
            positions: firstPosition...head.position,
            streamVersions: (current + 1)...(current + count),
            wasAlreadyStored: false))
    }

    /// The answer to a batch some of whose ids are stored: the original result
    /// when it is exactly a stored batch of this stream, an error otherwise.
    private func alreadyStored(_ request: PendingAppend, positions: [UInt64], txn: Txn) throws -> Result<AppendResult, EventLogError> {
        let first = positions[0]
        let description = "\(positions.count) of the \(request.events.count) event ids of an append to stream '\(request.stream)' are stored already (the first, \(request.events.first { _ in true }!.id), at position \(first))"
        guard positions.count == request.events.count,
            positions.elementsEqual(first..<(first + UInt64(positions.count)))
        else {
            return .failure(EventLogError(.duplicateEventID, description + "; retry the original batch or use new ids", position: first))
        }
        let streamVersion = try txn.get(environment.events, key: first.bigEndianBytes) { (bytes) throws -> UInt64? in
            let view = try RecordView(validating: bytes, position: first)
            return view.streamIDBytes.elementsEqual(request.stream.utf8) ? view.streamVersion : nil
        }
        guard let version = streamVersion ?? nil else {
            return .failure(EventLogError(.duplicateEventID, description + " but in another stream", position: first))
        }
        return .success(AppendResult(
            positions: first...positions[positions.count - 1],
            streamVersions: version...(version + UInt64(positions.count) - 1),
            wasAlreadyStored: true))
    }

    func readHead(_ txn: Txn) throws -> ChainHead {
        try txn.get(environment.meta, key: LMDBEnvironment.headKey) { (bytes) throws -> ChainHead in
            guard bytes.count == 8 + Record.hashSize else {
                throw EventLogError(.corruptRecord, "the chain head of the ledger at '\(path)' has \(bytes.count) bytes instead of 40")
            }
            return ChainHead(
                position: UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)),
                hash: Array(bytes[8...]))
        } ?? .empty
    }

    func streamVersion(_ stream: String, txn: Txn) throws -> UInt64 {
        let key = Array(stream.utf8)
        return try txn.withCursor(environment.streams) { (cursor) throws -> UInt64 in
            let found = try key.withUnsafeBytes { (raw) throws in try cursor.get(.set, key: raw) }
            return found == nil ? 0 : try cursor.duplicateCount()
        }
    }
}
