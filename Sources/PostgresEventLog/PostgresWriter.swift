import CoreMetrics
import EventLog
import Logging
import NIOCore
import PostgresNIO
import Synchronization

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
    let commitQueue: GroupCommitQueue
    let server: ServerConnection
    let schema: LedgerSchema
    let lockKey: Int64
    let location: String
    let notifier: AppendNotifier
    let logger: Logger
    let clock: @Sendable () -> Timestamp
    /// Reads the proof index (through the log's reader connection).
    let index: PostgresProofIndex
    /// The Merkle tree as of this writer's last commit, so that the next
    /// transaction continues it without reading stored nodes; used only when
    /// the head has not moved since (no other host appended).
    private let tree = Mutex<MerkleTree.Builder?>(nil)

    init(
        server: ServerConnection, schema: LedgerSchema, lockKey: Int64, location: String, notifier: AppendNotifier, logger: Logger,
        clock: @escaping @Sendable () -> Timestamp, index: PostgresProofIndex, metrics: (any MetricsFactory)?
    ) {
        commitQueue = GroupCommitQueue(label: "TicketLedger.PostgresEventLog.writer", metrics: AppendMetrics(backend: "postgresql", factory: metrics ?? MetricsSystem.factory))
        self.index = index
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

    func commit(_ group: [PendingAppend]) -> [AppendOutcome] {
        do {
            let (results, last) = try transaction(group)
            if let last { notifier.publish(last) }
            return results
        } catch {
            var failure = PostgresEventLog.mapError(error, "append", location: location)
            if failure.code == .unavailable {
                failure.message += "; the appends were not acknowledged (if the connection was lost while they committed they may be stored: retrying them with the same event ids is safe)"
            }
            logger.error("append failed", metadata: ["location": "\(location)", "error": "\(failure)"])
            return group.map { _ in .failure(failure) }
        }
    }

    /// The state of the ledger as the group's transaction sees it, updated as
    /// appends are accepted.
    private struct Plan {
        var head: ChainHead
        /// Stored ids (before the group, and accepted in it) among the group's.
        var stored: [EventID: (position: UInt64, stream: String, version: UInt64)]
        var versions: [String: UInt64]
        /// The last position the proof index covers, as the transaction began.
        var indexed: UInt64 = 0
        /// Each stream's newest history before the group, for the proof index.
        var latest: [String: MerkleTree.Hash] = [:]
        var rows = PostgresProofIndex.Rows()
        var update = ProofIndex.Update(tree: MerkleTree.Builder())

        /// Adds a record's row and its proof index entry; it becomes the head.
        mutating func add(_ record: RecordView, stream: String, location: String) throws {
            try update.add(record) { [latest] in try PostgresProofIndex.history(of: $0, in: latest, location: location) }
            rows.positions.append(Int64(record.position))
            rows.streams.append(stream)
            rows.versions.append(Int64(record.streamVersion))
            rows.ids.append(ByteBuffer(bytes: record.id.bytes))
            rows.records.append(ByteBuffer(bytes: record.bytes))
            stored[record.id] = (record.position, stream, record.streamVersion)
            versions[stream] = record.streamVersion
            head = ChainHead(position: record.position, hash: Array(record.hashBytes))
        }

        /// The insert of the added rows with their proof index, which notifies the last position at commit.
        func insertion(into schema: LedgerSchema) -> PostgresQuery {
            PostgresProofIndex.insertion(rows, update, into: schema)
        }
    }

    /// Starts `plan`'s proof index from the tree at its head: this writer's
    /// last, continued by the records other hosts appended since when they are
    /// few; otherwise the stored one, after indexing records the index lacks
    /// (written by a version before it).
    private func startIndex(_ plan: inout Plan) throws {
        if var cached = tree.withLock({ $0 }), cached.size <= plan.head.position, plan.head.position - cached.size <= 4096,
            plan.indexed == plan.head.position
        {
            if cached.size < plan.head.position { try index.extend(&cached, to: plan.head.position) }
            plan.update = ProofIndex.Update(tree: cached)
        } else if plan.indexed < plan.head.position {
            plan.update = try index.catchUp(from: plan.indexed, to: plan.head.position, latest: &plan.latest)
        } else {
            plan.update = ProofIndex.Update(tree: try index.tree(size: plan.head.position))
        }
        for (stream, history) in plan.latest { plan.update.know(history, of: stream) }
    }

    /// Gives a ledger written before the proof index its index, in transactions
    /// of 65,536 records under the ledger's lock: once, when it is opened for writing.
    func upgradeIndex() throws {
        try commitQueue.sync {
            while true {
                let connection = try server.connection()
                func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
                    try server.wait(connection.query(query, logger: logger), "building the proof index", on: connection)
                }
                _ = try run("BEGIN")
                do {
                    let plan = try readState(try run(stateQuery(ids: [], streams: [])))
                    guard plan.indexed < plan.head.position else {
                        _ = try run("COMMIT")
                        return
                    }
                    if plan.indexed == 0 {
                        logger.info("building the proof index", metadata: ["location": "\(location)", "records": "\(plan.head.position)"])
                    }
                    var latest: [String: MerkleTree.Hash] = [:]
                    let last = min(plan.head.position, plan.indexed + 65_536)
                    let update = try index.catchUp(from: plan.indexed, to: last, latest: &latest)
                    _ = try run(PostgresProofIndex.insertion(.init(), update, into: schema))
                    _ = try run("COMMIT")
                } catch {
                    rollBack(connection)
                    throw PostgresEventLog.mapError(error, "building the proof index", location: location)
                }
            }
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
            try startIndex(&plan)
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
            guard !plan.rows.positions.isEmpty || !plan.update.histories.isEmpty else {
                _ = try run("COMMIT")
                return (results, nil)
            }
            let insert = connection.query(plan.insertion(into: schema), logger: logger)
            // A failed insert turns this COMMIT into a rollback.
            let commit = connection.query("COMMIT", logger: logger)
            _ = try wait(insert)
            _ = try wait(commit)
            tree.withLock { $0 = plan.update.tree }
            return (results, plan.rows.positions.isEmpty ? nil : plan.head.position)
        } catch {
            tree.withLock { $0 = nil }
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
                try startIndex(&plan)
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
                        try plan.add(record, stream: stream, location: location)
                    }
                }
                if !plan.rows.positions.isEmpty || !plan.update.histories.isEmpty { _ = try run(plan.insertion(into: schema)) }
                _ = try run("COMMIT")
                tree.withLock { $0 = plan.update.tree }
                notifier.publish(plan.head.position)
                return plan.head
            } catch {
                tree.withLock { $0 = nil }
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
                plan.indexed = UInt64(version ?? 0)
            case 1:
                if let id, let key = EventID(bytes: id.readableBytesView), let position, let stream, let version {
                    plan.stored[key] = (UInt64(position), stream, UInt64(version))
                }
            default:
                if let stream, let version { plan.versions[stream] = UInt64(version) }
                if let stream, let hash { plan.latest[stream] = Array(buffer: hash) }
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
                try plan.add(try RecordView(validating: raw, position: position), stream: request.stream, location: location)
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
