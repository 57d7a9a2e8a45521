import EventLog
import Logging
import NIOCore
import PostgresNIO

/// Group commit on PostgreSQL: appends queue while the writer commits, and its
/// next transaction takes all that queued. One transaction:
///
/// 1. `append_state` (a function in the ledger's schema) takes the ledger's
///    `pg_advisory_xact_lock`, so appends of all hosts go one at a time and
///    positions follow commit order (the lock is released after the commit is
///    visible); then it reads the chain head, the stored ids among the group's
///    and the versions of its streams;
/// 3. checks every append as the LMDB writer does, encodes the accepted ones'
///    records, chained;
/// 4. inserts them in one statement, `NOTIFY`s the last position, commits.
///
/// It runs on a serial dispatch queue and waits for the server there, outside
/// Swift's cooperative pool.
final class PostgresWriter: GroupCommitter {
    let commitQueue = GroupCommitQueue(label: "TicketLedger.PostgresEventLog.writer")
    let server: ServerConnection
    let schema: LedgerSchema
    let lockKey: Int64
    let location: String
    let notifier: AppendNotifier
    let logger: Logger
    let clock: @Sendable () -> Timestamp

    init(
        server: ServerConnection, schema: LedgerSchema, lockKey: Int64, location: String, notifier: AppendNotifier, logger: Logger,
        clock: @escaping @Sendable () -> Timestamp
    ) {
        self.server = server
        self.schema = schema
        self.lockKey = lockKey
        self.location = location
        self.notifier = notifier
        self.logger = logger
        self.clock = clock
    }

    /// Waits for the queued appends, then closes the connection.
    func close() {
        flush()
        server.close()
    }

    func commit(_ group: [PendingAppend]) {
        do {
            let (results, last) = try transaction(group)
            if let last { notifier.publish(last) }
            for (request, result) in zip(group, results) {
                request.completion.resume(with: result)
            }
        } catch {
            var failure = PostgresEventLog.mapError(error, "append", location: location)
            if failure.code == .unavailable {
                failure.message += "; the appends were not acknowledged (if the connection was lost while they committed they may be stored: retrying them with the same event ids is safe)"
            }
            logger.error("append failed", metadata: ["location": "\(location)", "error": "\(failure)"])
            for request in group {
                request.completion.resume(with: .failure(failure))
            }
        }
    }

    /// The state of the ledger as the group's transaction sees it, updated as
    /// appends are accepted.
    private struct Plan {
        var head: ChainHead
        /// Stored ids (before the group, and accepted in it) among the group's.
        var stored: [EventID: (position: UInt64, stream: String, version: UInt64)]
        var versions: [String: UInt64]
        var positions: [Int64] = []
        var streams: [String] = []
        var streamVersions: [Int64] = []
        var ids: [ByteBuffer] = []
        var records: [ByteBuffer] = []

        /// Adds a record's row; it becomes the head.
        mutating func add(_ record: RecordView, stream: String) {
            positions.append(Int64(record.position))
            streams.append(stream)
            streamVersions.append(Int64(record.streamVersion))
            ids.append(ByteBuffer(bytes: record.id.bytes))
            records.append(ByteBuffer(bytes: record.bytes))
            stored[record.id] = (record.position, stream, record.streamVersion)
            versions[stream] = record.streamVersion
            head = ChainHead(position: record.position, hash: Array(record.hashBytes))
        }

        /// The insert of the added rows, which notifies the last position at commit.
        func insertion(into schema: LedgerSchema) -> PostgresQuery {
            """
            WITH inserted AS (
                INSERT INTO \(unescaped: schema.events) (position, stream, version, event_id, record)
                SELECT * FROM unnest(\(positions)::bigint[], \(streams)::text[], \(streamVersions)::bigint[],
                                     \(ids)::bytea[], \(records)::bytea[])
                RETURNING position)
            SELECT pg_notify(\(schema.channel), max(position)::text) FROM inserted
            """
        }
    }

    private func transaction(_ group: [PendingAppend]) throws -> ([Result<[AppendResult], EventLogError>], UInt64?) {
        let recordedAt = clock()
        var ids: [ByteBuffer] = []
        var streams = Set<String>()
        for request in group {
            for append in request.appends {
                streams.insert(append.stream)
                ids.append(contentsOf: append.events.map { ByteBuffer(bytes: $0.id.bytes) })
            }
        }
        // Two round trips: BEGIN with the locked read of the state, then the
        // insert (which notifies) with COMMIT. Queries queue on the connection.
        let connection = try server.connection()
        func wait(_ future: EventLoopFuture<PostgresQueryResult>) throws -> PostgresQueryResult {
            try server.wait(future, "append", on: connection)
        }
        func run(_ query: PostgresQuery) throws -> PostgresQueryResult { try wait(connection.query(query, logger: logger)) }
        let begin = connection.query("BEGIN", logger: logger)
        let state = connection.query(stateQuery(ids: ids, streams: streams), logger: logger)
        do {
            _ = try wait(begin)
            var plan = try readState(try wait(state))
            var results: [Result<[AppendResult], EventLogError>] = []
            var buffer: [UInt8] = []
            for request in group {
                let before = plan
                var done: [AppendResult] = []
                var failure: EventLogError?
                for append in request.appends {
                    switch try apply(append, plan: &plan, recordedAt: recordedAt, buffer: &buffer) {
                    case .success(let result): done.append(result)
                    case .failure(let error): failure = error
                    }
                    if failure != nil { break }
                }
                if let failure {
                    plan = before
                    results.append(.failure(failure))
                } else {
                    results.append(.success(done))
                }
            }
            guard !plan.positions.isEmpty else {
                _ = try run("COMMIT")
                return (results, nil)
            }
            let insert = connection.query(plan.insertion(into: schema), logger: logger)
            // A failed insert turns this COMMIT into a rollback.
            let commit = connection.query("COMMIT", logger: logger)
            _ = try wait(insert)
            _ = try wait(commit)
            return (results, plan.head.position)
        } catch {
            rollBack(connection)
            throw error
        }
    }

    /// Appends records copied byte for byte, in one transaction on the writer's
    /// queue: the same lock and checks as appends, then one insert.
    func copy(_ records: [[UInt8]]) throws -> ChainHead {
        try commitQueue.sync {
            let connection = try server.connection()
            func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
                try server.wait(connection.query(query, logger: logger), "copy", on: connection)
            }
            var ids: [ByteBuffer] = []
            var streams = Set<String>()
            for bytes in records {
                try bytes.withUnsafeBytes { raw in
                    let record = try RecordView(validating: raw, position: 0)
                    ids.append(ByteBuffer(bytes: record.id.bytes))
                    streams.insert(record.streamID)
                }
            }
            _ = try run("BEGIN")
            do {
                var plan = try readState(try run(stateQuery(ids: ids, streams: streams)))
                for bytes in records {
                    try bytes.withUnsafeBytes { raw in
                        let record = try RecordView(validating: raw, position: plan.head.position + 1)
                        try RecordFormat.checkChain(record, follows: plan.head, in: location)
                        let stream = record.streamID
                        let version = plan.versions[stream] ?? 0
                        guard record.streamVersion == version + 1 else {
                            throw EventLogError(
                                .wrongExpectedVersion,
                                "the copied record \(record.position) holds version \(record.streamVersion) of stream '\(stream)', which is at version \(version) in '\(location)'",
                                actualVersion: version, position: record.position)
                        }
                        guard plan.stored[record.id] == nil else {
                            throw EventLogError(
                                .duplicateEventID, "the copied record \(record.position) has event id \(record.id), which '\(location)' stores already",
                                position: record.position)
                        }
                        plan.add(record, stream: stream)
                    }
                }
                if !plan.positions.isEmpty { _ = try run(plan.insertion(into: schema)) }
                _ = try run("COMMIT")
                notifier.publish(plan.head.position)
                return plan.head
            } catch {
                rollBack(connection)
                throw PostgresEventLog.mapError(error, "copy", location: location)
            }
        }
    }

    /// Ends a failed transaction: a `ROLLBACK` on a connection still open (the
    /// server rolls back the transaction of a lost one itself).
    private func rollBack(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        _ = try? server.wait(connection.query("ROLLBACK", logger: logger), "rolling back", on: connection)
    }

    /// Takes the ledger's lock and reads the head, which of `ids` are stored and the versions of `streams`.
    private func stateQuery(ids: [ByteBuffer], streams: Set<String>) -> PostgresQuery {
        "SELECT * FROM \(unescaped: "\"\(schema.name)\"").append_state(\(lockKey), \(ids)::bytea[], \(Array(streams))::text[])"
    }

    /// The plan's starting point from `append_state`'s rows: the head (kind 0),
    /// the group's stored ids (1) and its streams' versions (2).
    private func readState(_ rows: PostgresQueryResult) throws -> Plan {
        var plan = Plan(head: .empty, stored: [:], versions: [:])
        for row in rows {
            let (kind, position, id, hash, stream, version) = try row.decode(
                (Int32, Int64?, ByteBuffer?, ByteBuffer?, String?, Int64?).self, context: .default)
            switch kind {
            case 0:
                plan.head = ChainHead(position: UInt64(position ?? 0), hash: hash.map { Array(buffer: $0) } ?? ChainHead.empty.hash)
            case 1:
                if let id, let key = EventID(bytes: id.readableBytesView), let position, let stream, let version {
                    plan.stored[key] = (UInt64(position), stream, UInt64(version))
                }
            default:
                if let stream, let version { plan.versions[stream] = UInt64(version) }
            }
        }
        return plan
    }

    /// Checks one stream append against the plan and, accepted, adds its rows.
    private func apply(
        _ request: StreamAppend, plan: inout Plan, recordedAt: Timestamp, buffer: inout [UInt8]
    ) throws -> Result<AppendResult, EventLogError> {
        let stored = request.events.compactMap { event in plan.stored[event.id].map { (event.id, $0) } }
        if !stored.isEmpty {
            return alreadyStored(request, stored: stored)
        }
        let current = plan.versions[request.stream] ?? 0
        if let mismatch = request.versionMismatch(current: current) { return .failure(mismatch) }
        let first = plan.head.position + 1
        for (offset, event) in request.events.enumerated() {
            let position = plan.head.position + 1
            let version = current + 1 + UInt64(offset)
            buffer.removeAll(keepingCapacity: true)
            _ = RecordFormat.encode(
                event, streamID: request.stream, streamVersion: version, position: position,
                recordedAt: recordedAt, previousHash: plan.head.hash, into: &buffer)
            try buffer.withUnsafeBytes { raw in
                plan.add(try RecordView(validating: raw, position: position), stream: request.stream)
            }
        }
        let count = UInt64(request.events.count)
        return .success(AppendResult(
            positions: first...plan.head.position, streamVersions: (current + 1)...(current + count), wasAlreadyStored: false))
    }

    /// The original result when the batch is exactly a stored batch of this stream, an error otherwise.
    private func alreadyStored(
        _ request: StreamAppend, stored: [(id: EventID, row: (position: UInt64, stream: String, version: UInt64))]
    ) -> Result<AppendResult, EventLogError> {
        let first = stored[0].row
        let description = "\(stored.count) of the \(request.events.count) event ids of an append to stream '\(request.stream)' are stored already (the first, \(stored[0].id), at position \(first.position))"
        let consecutive = stored.enumerated().allSatisfy { $0.element.row.position == first.position + UInt64($0.offset) }
        guard stored.count == request.events.count, consecutive else {
            return .failure(EventLogError(.duplicateEventID, description + "; retry the original batch or use new ids", position: first.position))
        }
        guard first.stream == request.stream else {
            return .failure(EventLogError(.duplicateEventID, description + " but in another stream", position: first.position))
        }
        let count = UInt64(stored.count)
        return .success(AppendResult(
            positions: first.position...(first.position + count - 1),
            streamVersions: first.version...(first.version + count - 1),
            wasAlreadyStored: true))
    }
}
