import Dispatch
import EventLog
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Group commit on PostgreSQL: appends queue while the writer commits, and its
/// next transaction takes all that queued. One transaction:
///
/// 1. `pg_advisory_xact_lock` of the ledger: appends of all hosts, one at a time,
///    so positions follow commit order (the lock is released after the commit
///    is visible);
/// 2. reads the chain head, the stored ids among the group's and the versions
///    of its streams;
/// 3. checks every append as the LMDB writer does, encodes the accepted ones'
///    records, chained;
/// 4. inserts them in one statement, `NOTIFY`s the last position, commits.
///
/// It runs on a serial dispatch queue and waits for the server there, outside
/// Swift's cooperative pool.
final class PostgresWriter: Sendable {
    let connection: PostgresConnection
    let schema: LedgerSchema
    let lockKey: Int64
    let location: String
    let notifier: AppendNotifier
    let logger: Logger
    let clock: @Sendable () -> Timestamp
    private let pending = Mutex<[PendingAppend]>([])
    private let queue = DispatchQueue(label: "TicketLedger.PostgresEventLog.writer")

    init(
        connection: PostgresConnection, schema: LedgerSchema, lockKey: Int64, location: String, notifier: AppendNotifier, logger: Logger,
        clock: @escaping @Sendable () -> Timestamp
    ) {
        self.connection = connection
        self.schema = schema
        self.lockKey = lockKey
        self.location = location
        self.notifier = notifier
        self.logger = logger
        self.clock = clock
    }

    /// Queues `request`; it is committed with whatever else queues meanwhile.
    func submit(_ request: PendingAppend) {
        pending.withLock { $0.append(request) }
        queue.async {
            let group = self.pending.withLock { queued -> [PendingAppend] in
                defer { queued.removeAll(keepingCapacity: true) }
                return queued
            }
            if !group.isEmpty { self.commit(group) }
        }
    }

    /// Waits for the queued appends, then closes the connection.
    func close() {
        queue.sync {}
        _ = try? connection.close().wait()
    }

    private func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try connection.query(query, logger: logger).wait()
    }

    private func commit(_ group: [PendingAppend]) {
        do {
            let (results, last) = try transaction(group)
            if let last { notifier.publish(last) }
            for (request, result) in zip(group, results) {
                request.completion.resume(with: result)
            }
        } catch {
            let failure = PostgresEventLog.mapError(error, "append", location: location)
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
    }

    private func transaction(_ group: [PendingAppend]) throws -> ([Result<[AppendResult], EventLogError>], UInt64?) {
        let recordedAt = clock()
        _ = try run("BEGIN")
        do {
            _ = try run("SELECT pg_advisory_xact_lock(\(lockKey))")
            var plan = try readState(group)
            var results: [Result<[AppendResult], EventLogError>] = []
            var buffer: [UInt8] = []
            for request in group {
                let before = plan
                var done: [AppendResult] = []
                var failure: EventLogError?
                for append in request.appends {
                    switch apply(append, plan: &plan, recordedAt: recordedAt, buffer: &buffer) {
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
            _ = try run("""
                INSERT INTO \(unescaped: schema.events) (position, stream, version, event_id, record)
                SELECT * FROM unnest(\(plan.positions)::bigint[], \(plan.streams)::text[], \(plan.streamVersions)::bigint[],
                                     \(plan.ids)::bytea[], \(plan.records)::bytea[])
                """)
            _ = try run("SELECT pg_notify(\(schema.channel), \(String(plan.head.position)))")
            _ = try run("COMMIT")
            return (results, plan.head.position)
        } catch {
            _ = try? run("ROLLBACK")
            throw error
        }
    }

    /// Reads the head, the group's stored ids and its streams' versions, under the lock.
    private func readState(_ group: [PendingAppend]) throws -> Plan {
        var head = ChainHead.empty
        let headRows = try run("""
            SELECT position, substring(record FROM octet_length(record) - 31) FROM \(unescaped: schema.events)
            ORDER BY position DESC LIMIT 1
            """)
        if let row = headRows.first {
            let (position, hash) = try row.decode((Int64, ByteBuffer).self, context: .default)
            head = ChainHead(position: UInt64(position), hash: Array(buffer: hash))
        }
        var ids: [ByteBuffer] = []
        var streams = Set<String>()
        for request in group {
            for append in request.appends {
                streams.insert(append.stream)
                ids.append(contentsOf: append.events.map { ByteBuffer(bytes: $0.id.bytes) })
            }
        }
        var plan = Plan(head: head, stored: [:], versions: [:])
        for row in try run("SELECT event_id, position, stream, version FROM \(unescaped: schema.events) WHERE event_id = ANY(\(ids)::bytea[])") {
            let (id, position, stream, version) = try row.decode((ByteBuffer, Int64, String, Int64).self, context: .default)
            if let key = EventID(bytes: id.readableBytesView) {
                plan.stored[key] = (UInt64(position), stream, UInt64(version))
            }
        }
        let names = Array(streams)
        for row in try run("SELECT stream, max(version) FROM \(unescaped: schema.events) WHERE stream = ANY(\(names)::text[]) GROUP BY stream") {
            let (stream, version) = try row.decode((String, Int64).self, context: .default)
            plan.versions[stream] = UInt64(version)
        }
        return plan
    }

    /// Checks one stream append against the plan and, accepted, adds its rows.
    private func apply(
        _ request: StreamAppend, plan: inout Plan, recordedAt: Timestamp, buffer: inout [UInt8]
    ) -> Result<AppendResult, EventLogError> {
        let stored = request.events.compactMap { event in plan.stored[event.id].map { (event.id, $0) } }
        if !stored.isEmpty {
            return alreadyStored(request, stored: stored)
        }
        let current = plan.versions[request.stream] ?? 0
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
        let first = plan.head.position + 1
        for (offset, event) in request.events.enumerated() {
            let position = plan.head.position + 1
            let version = current + 1 + UInt64(offset)
            buffer.removeAll(keepingCapacity: true)
            let hash = RecordFormat.encode(
                event, streamID: request.stream, streamVersion: version, position: position,
                recordedAt: recordedAt, previousHash: plan.head.hash, into: &buffer)
            plan.positions.append(Int64(position))
            plan.streams.append(request.stream)
            plan.streamVersions.append(Int64(version))
            plan.ids.append(ByteBuffer(bytes: event.id.bytes))
            plan.records.append(ByteBuffer(bytes: buffer))
            plan.stored[event.id] = (position, request.stream, version)
            plan.head = ChainHead(position: position, hash: hash)
        }
        let count = UInt64(request.events.count)
        plan.versions[request.stream] = current + count
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
