public import EventLog
public import Logging
import Dispatch
import Foundation
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// A ledger in PostgreSQL: the same records, chain and guarantees as the LMDB
/// `EventLog`, shared by every host that can reach the database.
///
/// Appends take a transaction-scoped advisory lock of the ledger before they
/// read the chain head, so positions are assigned in commit order across all
/// hosts: a reader never sees position N+1 before N. The table's constraints
/// enforce gapless positions and stream versions, unique event ids and
/// append-only rows in the server itself (see the *Running PostgreSQL* article).
///
/// Concurrent appends of one process share a transaction (group commit), as
/// with LMDB; appends of different processes queue on the lock. Subscriptions
/// wake on `LISTEN`/`NOTIFY` and read by position, so a lost notification
/// delays an event by at most ``PostgresLedgerConfiguration/pollInterval``.
///
/// Durability is the server's: with PostgreSQL's default `synchronous_commit = on`
/// an acknowledged append is on the server's disk (and, with synchronous
/// replication, on a standby's).
///
/// ```swift
/// let log = try await PostgresEventLog.connect(url: "postgres://desk@db.internal/desk")
/// let desk = Desk(log: log)
/// ```
///
/// The blocking methods of `EventStore` wait for the server on the calling
/// thread, without needing Swift's cooperative pool; open a log from async code
/// with ``connect(configuration:logger:)``.
public final class PostgresEventLog: EventStore {
    /// How the ledger was opened.
    public let configuration: PostgresLedgerConfiguration
    /// The URL without its password.
    public let location: String
    let schema: LedgerSchema
    let reader: ServerConnection
    let writer: PostgresWriter?
    let notifier: AppendNotifier
    let logger: Logger
    private let listener = Mutex<Listening?>(nil)
    private let closed = Mutex(false)

    /// The schema's name: what exports call the ledger.
    public var name: String { configuration.schema }

    /// What connecting yields: the connections, the append lock's key and the last position.
    private struct Connections: Sendable {
        var reader: ServerConnection
        var writer: ServerConnection?
        var lockKey: Int64
        var lastPosition: UInt64
    }

    private init(configuration: PostgresLedgerConfiguration, connections: Connections, logger: Logger) {
        self.configuration = configuration
        self.location = configuration.location
        self.schema = LedgerSchema(name: configuration.schema)
        self.reader = connections.reader
        self.logger = logger
        let notifier = AppendNotifier()
        self.notifier = notifier
        self.writer = connections.writer.map {
            PostgresWriter(
                server: $0, schema: LedgerSchema(name: configuration.schema), lockKey: connections.lockKey,
                location: configuration.location, notifier: notifier, logger: logger, clock: configuration.clock,
                index: PostgresProofIndex(server: connections.reader, schema: LedgerSchema(name: configuration.schema), location: configuration.location),
                metrics: configuration.metricsFactory)
        }
        notifier.publish(connections.lastPosition)
    }

    /// Connects to the ledger (creating its schema and tables when missing, read-write),
    /// without blocking a thread of the cooperative pool.
    ///
    /// - Throws: `EventLogError`: `EventLogError/Code/storage` naming the
    ///   location when the server cannot be reached or holds no ledger there,
    ///   `EventLogError/Code/incompatibleFormat` when the schema holds another format.
    public static func connect(
        configuration: PostgresLedgerConfiguration, logger: Logger = Logger(label: "TicketLedger.PostgresEventLog")
    ) async throws -> PostgresEventLog {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try PostgresEventLog(configuration: configuration, logger: logger) })
            }
        }
    }

    /// Connects to the ledger at a `postgres://` URL (see ``PostgresLedgerConfiguration/init(url:)``).
    public static func connect(
        url: String, access: EventLogConfiguration.AccessMode = .readWrite, logger: Logger = Logger(label: "TicketLedger.PostgresEventLog")
    ) async throws -> PostgresEventLog {
        var configuration = try PostgresLedgerConfiguration(url: url)
        configuration.access = access
        return try await connect(configuration: configuration, logger: logger)
    }

    /// Connects, blocking the calling thread (the server's answers arrive on
    /// SwiftNIO's threads, so any thread may wait). From async code prefer
    /// ``connect(url:access:logger:)``.
    public convenience init(url: String, access: EventLogConfiguration.AccessMode = .readWrite, logger: Logger = Logger(label: "TicketLedger.PostgresEventLog")) throws {
        var configuration = try PostgresLedgerConfiguration(url: url)
        configuration.access = access
        try self.init(configuration: configuration, logger: logger)
    }

    /// Connects, blocking the calling thread.
    public convenience init(configuration: PostgresLedgerConfiguration, logger: Logger = Logger(label: "TicketLedger.PostgresEventLog")) throws {
        self.init(configuration: configuration, connections: try Self.openConnections(configuration, logger: logger), logger: logger)
        do {
            try writer?.upgradeIndex()
        } catch {
            close()
            throw error
        }
    }

    private static func openConnections(_ configuration: PostgresLedgerConfiguration, logger: Logger) throws -> Connections {
        try configuration.validateSchema()
        let schema = LedgerSchema(name: configuration.schema)
        let reader = ServerConnection(configuration: configuration, id: 1, logger: logger)
        var writer: ServerConnection?
        do {
            if configuration.access == .readWrite {
                writer = ServerConnection(configuration: configuration, id: 2, logger: logger)
                try create(schema, on: writer!, ifMissing: configuration.createIfMissing)
            }
            try checkFormat(schema, on: reader, location: configuration.location)
            let oid = try reader.query(
                "SELECT \(unescaped: "'\(schema.events)'")::regclass::oid::bigint", "opening the ledger").decodeFirst(Int64.self) ?? 0
            let last = try reader.query(
                "SELECT coalesce(max(position), 0) FROM \(unescaped: schema.events)", "opening the ledger").decodeFirst(Int64.self) ?? 0
            return Connections(reader: reader, writer: writer, lockKey: 0x544C_0000_0000 | oid, lastPosition: UInt64(last))
        } catch {
            reader.close()
            writer?.close()
            throw mapError(error, "opening the ledger", location: configuration.location)
        }
    }

    /// Creates the ledger's tables when they are missing (with `ifMissing`), or
    /// the proof index's of a ledger made before it.
    private static func create(_ schema: LedgerSchema, on connection: ServerConnection, ifMissing: Bool) throws {
        func run(_ query: PostgresQuery) throws -> PostgresQueryResult { try connection.query(query, "creating the ledger's tables", retry: false) }
        // Several processes may create the same ledger at once: one at a time.
        _ = try run("BEGIN")
        do {
            _ = try run("SELECT pg_advisory_xact_lock(\(Int64(0x544C_5343_4845_4D41)))")
            // A new ledger, or one made before the proof index (0.3), which gains its tables here.
            let exists = try run("SELECT to_regclass(\(schema.meta)) IS NOT NULL").decodeFirst(Bool.self) ?? false
            let indexed = try run("SELECT to_regclass(\(schema.histories)) IS NOT NULL").decodeFirst(Bool.self) ?? false
            if exists ? !indexed : ifMissing {
                for statement in schema.creation {
                    _ = try run(PostgresQuery(unsafeSQL: statement))
                }
            }
            _ = try run("COMMIT")
        } catch {
            _ = try? run("ROLLBACK")
            throw error
        }
    }

    private static func checkFormat(_ schema: LedgerSchema, on connection: ServerConnection, location: String) throws {
        let exists = try connection.query(
            "SELECT to_regclass(\(schema.meta)) IS NOT NULL AND to_regclass(\(schema.events)) IS NOT NULL",
            "opening the ledger").decodeFirst(Bool.self) ?? false
        guard exists else {
            throw EventLogError(.storage, "no ledger at '\(location)': schema '\(schema.name)' has no TicketLedger tables (open it read-write, or run `desk init --ledger \(location)`)")
        }
        let format = try connection.query(
            "SELECT value FROM \(unescaped: schema.meta) WHERE key = 'format'", "opening the ledger").decodeFirst(String.self)
        guard format == String(RecordFormat.formatVersion) else {
            throw EventLogError(.incompatibleFormat, "the ledger at '\(location)' has record format \(format ?? "none"); this library reads format \(RecordFormat.formatVersion)")
        }
    }

    deinit {
        close()
    }

    /// Finishes pending appends and closes the connections. Later calls fail
    /// with `EventLogError/Code/closed`. Closing twice is harmless.
    public func close() {
        let wasClosed = closed.withLock { state in
            defer { state = true }
            return state
        }
        guard !wasClosed else { return }
        writer?.close()
        listener.withLock { $0?.stop() }
        reader.close()
        notifier.publish(.max)
    }

    func checkOpen() throws {
        if closed.withLock({ $0 }) {
            throw EventLogError(.closed, "the ledger at '\(location)' is closed")
        }
    }

    /// Runs `query` on the reader connection and waits for all its rows (a lost
    /// connection is opened again once).
    func run(_ query: PostgresQuery, _ what: String) throws -> PostgresQueryResult {
        try checkOpen()
        return try reader.query(query, what)
    }

    /// Runs one SQL statement on the reader connection, unchecked: for the
    /// package's tests (which tamper with rows to check verification) and tools.
    package func execute(unsafeSQL sql: String) throws {
        _ = try run(PostgresQuery(unsafeSQL: sql), "running SQL")
    }

    /// The table holding the records, schema-qualified and quoted.
    package var eventsTable: String { schema.events }

    /// A table of the ledger's schema, qualified and quoted: for the package's tests.
    package func schemaName(of table: String) -> String { "\"\(schema.name)\".\(table)" }

    // MARK: - Appending

    /// Appends to several streams at once, atomically, blocking the calling thread.
    /// Concurrent appends of this process share one transaction.
    public func append(_ appends: [StreamAppend]) throws -> [AppendResult] {
        try checkOpen()
        try appends.validate(location: location, readOnly: writer == nil)
        let waiter = SyncWaiter()
        writer!.submit(PendingAppend(appends: appends, completion: .waiter(waiter)))
        return try waiter.wait().get()
    }

    /// Appends to several streams at once, atomically, without blocking a thread
    /// of the cooperative pool.
    public func append(_ appends: [StreamAppend]) async throws -> [AppendResult] {
        try checkOpen()
        try appends.validate(location: location, readOnly: writer == nil)
        let result: Result<[AppendResult], EventLogError> = await withCheckedContinuation { continuation in
            writer!.submit(PendingAppend(appends: appends, completion: .continuation(continuation)))
        }
        return try result.get()
    }

    /// Appends records copied from another ledger byte for byte, in one transaction.
    public func appendCopies(_ records: [[UInt8]]) throws -> ChainHead {
        try checkOpen()
        guard let writer else {
            throw EventLogError(.readOnly, "cannot copy into '\(location)': the ledger is open read-only")
        }
        return try writer.copy(records)
    }

    // MARK: - Projection snapshots

    /// The projection snapshot stored under `key` in the `snapshots` table, or
    /// nil (also when a ledger written before 0.5 has no such table yet).
    public func projectionSnapshot(key: String) throws -> ProjectionSnapshot? {
        let exists = try run("SELECT to_regclass(\(schema.snapshots)) IS NOT NULL", "looking for the snapshots table").decodeFirst(Bool.self) ?? false
        guard exists else { return nil }
        let rows = try run(
            "SELECT position, record_hash, state FROM \(unescaped: schema.snapshots) WHERE key = \(key)", "reading the projection snapshot '\(key)'")
        guard let row = rows.first else { return nil }
        let (position, hash, state) = try decode(row, as: (Int64, ByteBuffer, ByteBuffer).self)
        return ProjectionSnapshot(key: key, position: UInt64(clamping: position), recordHash: Array(buffer: hash), state: Array(buffer: state))
    }

    /// Stores `snapshot` in the `snapshots` table, replacing the row of its key.
    public func saveProjectionSnapshot(_ snapshot: ProjectionSnapshot) throws {
        guard writer != nil else {
            throw EventLogError(.readOnly, "cannot save a projection snapshot in '\(location)': the ledger is open read-only")
        }
        _ = try run(
            """
            INSERT INTO \(unescaped: schema.snapshots) (key, position, record_hash, state)
            VALUES (\(snapshot.key), \(Int64(clamping: snapshot.position)), \(ByteBuffer(bytes: snapshot.recordHash)), \(ByteBuffer(bytes: snapshot.state)))
            ON CONFLICT (key) DO UPDATE SET position = EXCLUDED.position, record_hash = EXCLUDED.record_hash, state = EXCLUDED.state
            """, "saving the projection snapshot '\(snapshot.key)'")
    }

    // MARK: - Reading

    /// The chain head: the last position and the hash of its record.
    public func head() throws -> ChainHead {
        let rows = try run(
            "SELECT position, substring(record FROM octet_length(record) - 31) FROM \(unescaped: schema.events) ORDER BY position DESC LIMIT 1",
            "reading the chain head")
        guard let row = rows.first else { return .empty }
        let (position, hash) = try decode(row, as: (Int64, ByteBuffer).self)
        return ChainHead(position: UInt64(position), hash: Array(buffer: hash))
    }

    /// The chain head and the last position, from one statement (one snapshot): the
    /// head is the last row's hash, so the two positions are the same row's.
    public func storedHead() throws -> StoredHead {
        let head = try head()
        return StoredHead(head: head, lastPosition: head.position)
    }

    /// Checks the `stream`, `version` and `event_id` columns, by which streams
    /// and ids are found, against each row's record bytes.
    public func checkIndexes() throws -> IndexMismatch? {
        var after: Int64 = 0
        while true {
            let rows = try run(
                """
                SELECT position, stream, version, event_id, record FROM \(unescaped: schema.events)
                WHERE position > \(after) ORDER BY position LIMIT 4096
                """, "checking the stream and id columns")
            var count = 0
            for row in rows {
                let (position, stream, version, id, bytes) = try decode(row, as: (Int64, String, Int64, ByteBuffer, ByteBuffer).self)
                count += 1
                after = position
                let mismatch = try bytes.withUnsafeReadableBytes { (raw) throws -> IndexMismatch? in
                    let record = try RecordView(validating: raw, position: UInt64(position))
                    if record.streamID != stream || record.streamVersion != UInt64(version) {
                        return IndexMismatch(
                            index: .streams, position: UInt64(position),
                            problem: "row \(position) is filed as stream '\(stream)' version \(version), but its record is stream '\(record.streamID)' version \(record.streamVersion)")
                    }
                    let stored = Array(buffer: id)
                    if record.id.bytes != stored {
                        let named = EventID(bytes: stored).map(\.description) ?? stored.hexString
                        return IndexMismatch(
                            index: .ids, position: UInt64(position), problem: "row \(position) is filed as event id \(named), but its record is event id \(record.id)")
                    }
                    return nil
                }
                if let mismatch { return mismatch }
            }
            if count < 4096 { return nil }
        }
    }

    /// The last position, 0 for an empty log.
    public func lastPosition() throws -> UInt64 {
        let rows = try run("SELECT coalesce(max(position), 0) FROM \(unescaped: schema.events)", "reading the last position")
        return UInt64(try rows.decodeFirst(Int64.self) ?? 0)
    }

    /// A stream's current version, 0 when it has no events.
    public func streamVersion(_ stream: String) throws -> UInt64 {
        let rows = try run(
            "SELECT coalesce(max(version), 0) FROM \(unescaped: schema.events) WHERE stream = \(stream)", "reading stream '\(stream)'")
        return UInt64(try rows.decodeFirst(Int64.self) ?? 0)
    }

    /// The size of the events table with its indexes and TOAST, in bytes.
    public func storageBytes() throws -> Int64 {
        let rows = try run("SELECT pg_total_relation_size(\(schema.events))", "reading the ledger's size")
        return try rows.decodeFirst(Int64.self) ?? 0
    }

    /// Passes every record from `position` on (at most `limit`) to `body`, in order.
    /// Records come in batches of a few thousand; the next batch is requested
    /// while `body` handles the current one.
    @discardableResult
    public func forEachRecord(from position: UInt64, limit: Int, _ body: (RecordView) throws -> Void) throws -> Int {
        try checkOpen()
        let batch = 4096
        var passed = 0
        func query(from start: UInt64, count: Int) -> PostgresQuery {
            """
            SELECT position, record FROM \(unescaped: schema.events)
            WHERE position >= \(Int64(clamping: start)) ORDER BY position LIMIT \(Int64(count))
            """
        }
        // The first batch through `run` (which connects again if the connection was
        // lost), the next ones requested while `body` handles the current one.
        var requested = min(batch, limit)
        guard requested > 0 else { return 0 }
        var rows = try run(query(from: max(position, 1), count: requested), "reading records")
        let connection = try reader.connection()
        while true {
            let records = try rows.map { try decode($0, as: (Int64, ByteBuffer).self) }
            passed += records.count
            let count = min(batch, limit - passed)
            let next = records.count == requested && count > 0
                ? connection.query(query(from: UInt64(records[records.count - 1].0) + 1, count: count), logger: logger) : nil
            for (at, bytes) in records {
                try bytes.withUnsafeReadableBytes { raw in
                    try body(try RecordView(validating: raw, position: UInt64(at)))
                }
            }
            guard let next else { break }
            rows = try reader.wait(next, "reading records", on: connection)
            requested = count
        }
        return passed
    }

    /// Passes every stream's id and version to `body`, in the streams' byte order.
    @discardableResult
    public func forEachStream(_ body: (String, UInt64) throws -> Void) throws -> Int {
        var after: String?
        var count = 0
        while true {
            let query: PostgresQuery = after.map {
                "SELECT stream, max(version) FROM \(unescaped: schema.events) WHERE stream > \($0) GROUP BY stream ORDER BY stream LIMIT 4096"
            } ?? "SELECT stream, max(version) FROM \(unescaped: schema.events) GROUP BY stream ORDER BY stream LIMIT 4096"
            let rows = try run(query, "listing streams")
            for row in rows {
                let (stream, version) = try decode(row, as: (String, Int64).self)
                try body(stream, UInt64(version))
                count += 1
                after = stream
            }
            if rows.count < 4096 { return count }
        }
    }

    /// The proof index's reader, on the reader connection.
    private var proofIndex: PostgresProofIndex { PostgresProofIndex(server: reader, schema: schema, location: location) }

    /// How many records the proof index covers (the last position of `histories`).
    public func proofIndexSize() throws -> UInt64 {
        try checkOpen()
        return try proofIndex.size()
    }

    /// A stored tree node of the proof index, or nil.
    public func treeNode(level: Int, index: UInt64) throws -> MerkleTree.Hash? {
        try checkOpen()
        return try proofIndex.node(level: level, index: index)
    }

    /// Passes each stream's entry in the map of the first `size` records, in
    /// byte order (`COLLATE "C"`): its last version up to `size` and that
    /// record's history, a few thousand streams per query.
    @discardableResult
    public func forEachStreamEntry(size: UInt64, _ body: (StreamEntry) throws -> Void) throws -> Int {
        guard try proofIndexSize() >= size else {
            throw EventLogError(.invalidArgument, "the proof index of '\(location)' does not cover \(size) records; open the ledger for writing once to build it")
        }
        var after = ""
        var count = 0
        let bound = Int64(clamping: size)
        while true {
            let rows = try run(
                """
                SELECT DISTINCT ON (e.stream) e.stream, h.version, h.history FROM \(unescaped: schema.events) e
                JOIN \(unescaped: schema.histories) h ON h.position = e.position
                WHERE e.position <= \(bound) AND e.stream > \(after)
                ORDER BY e.stream, e.version DESC LIMIT 4096
                """, "reading the stream map")
            for row in rows {
                let (stream, version, history) = try decode(row, as: (String, Int64, ByteBuffer).self)
                try body(StreamEntry(streamID: stream, count: UInt64(version), history: Array(buffer: history)))
                count += 1
                after = stream
            }
            if rows.count < 4096 { return count }
        }
    }

    /// The event with this id, or nil.
    public func event(id: EventID) throws -> RecordedEvent? {
        let rows = try run(
            "SELECT position, record FROM \(unescaped: schema.events) WHERE event_id = \(ByteBuffer(bytes: id.bytes))", "reading event \(id)")
        return try rows.first.map { try materialize($0) }
    }

    /// Up to `limit` events of one stream, from `version` on (forward) or down (backward).
    public func readStream(_ stream: String, from version: UInt64, direction: ReadDirection, limit: Int) throws -> [RecordedEvent] {
        let bound = Int64(clamping: version)
        let query: PostgresQuery =
            switch direction {
            case .forward:
                "SELECT position, record FROM \(unescaped: schema.events) WHERE stream = \(stream) AND version >= \(bound) ORDER BY version LIMIT \(Int64(clamping: limit))"
            case .backward:
                "SELECT position, record FROM \(unescaped: schema.events) WHERE stream = \(stream) AND version <= \(bound) ORDER BY version DESC LIMIT \(Int64(clamping: limit))"
            }
        return try run(query, "reading stream '\(stream)'").map { try materialize($0) }
    }

    /// Returns when a commit announces a position after `position` (this
    /// process's at once, other hosts' through `NOTIFY`), after
    /// ``PostgresLedgerConfiguration/pollInterval``, or when the task is cancelled.
    public func waitForAppend(after position: UInt64) async {
        startListening()
        await notifier.wait(after: position, timeout: configuration.pollInterval)
    }

    /// Listens on the ledger's channel on a connection of its own, reconnecting
    /// after a failure; the poll interval covers the gap. It runs on a thread of
    /// its own with SwiftNIO's callbacks, never on Swift's cooperative pool, so
    /// a pool whose threads are all busy (or blocked) does not delay the wake-ups.
    private func startListening() {
        listener.withLock { state in
            guard state == nil, !closed.withLock({ $0 }) else { return }
            let listening = Listening()
            state = listening
            let configuration = configuration
            let channel = schema.channel
            let events = schema.events
            let notifier = notifier
            let logger = logger
            let location = location
            Thread.detachNewThread {
                while !listening.isStopped {
                    do {
                        let connection = try ServerConnection.wait(
                            ServerConnection.open(configuration, id: 3, logger: logger), "listening for appends", location: location,
                            bound: configuration.connectTimeout + .seconds(1))
                        guard listening.adopt(connection) else { break }
                        connection.addListener(channel: channel) { _, notification in
                            if let position = UInt64(notification.payload) { notifier.publish(position) }
                        }
                        func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
                            try ServerConnection.wait(connection.query(query, logger: logger), "listening for appends", location: location, bound: configuration.timeout)
                        }
                        _ = try run(PostgresQuery(unsafeSQL: "LISTEN \"\(channel)\""))
                        // Now listening: what committed before is caught by reading the
                        // last position once, what commits after is notified.
                        if let last = try run("SELECT coalesce(max(position), 0) FROM \(unescaped: events)").decodeFirst(Int64.self) {
                            notifier.publish(UInt64(last))
                        }
                        // Until the connection is lost (then connect again) or the log closes.
                        while !listening.isStopped, !connection.isClosed {
                            listening.pause(configuration.pollInterval)
                        }
                        connection.closeInBackground()
                    } catch {
                        if listening.isStopped { break }
                        logger.warning("listening for appends failed; retrying", metadata: ["error": "\(error)"])
                    }
                    listening.pause(configuration.pollInterval)
                }
            }
        }
    }

    /// The listener thread's state: its connection, and whether the log closed.
    final class Listening: Sendable {
        private let state = Mutex<(connection: PostgresConnection?, stopped: Bool)>((nil, false))
        private let stopping = DispatchSemaphore(value: 0)

        var isStopped: Bool { state.withLock { $0.stopped } }

        /// Keeps `connection` to close it on stop; false (and closes it) when stopped already.
        func adopt(_ connection: PostgresConnection) -> Bool {
            let stopped = state.withLock { state in
                if !state.stopped { state.connection = connection }
                return state.stopped
            }
            if stopped { connection.closeInBackground() }
            return !stopped
        }

        /// Waits `duration`, or less when stopped meanwhile.
        func pause(_ duration: Duration) {
            _ = stopping.wait(timeout: .after(duration))
        }

        /// Ends the listener: closes its connection and wakes it.
        func stop() {
            let connection = state.withLock { state in
                state.stopped = true
                defer { state.connection = nil }
                return state.connection
            }
            if let connection { connection.closeInBackground() }
            stopping.signal()
        }
    }

    private func materialize(_ row: PostgresRow) throws -> RecordedEvent {
        let (position, bytes) = try decode(row, as: (Int64, ByteBuffer).self)
        return try bytes.withUnsafeReadableBytes { raw in
            try RecordView(validating: raw, position: UInt64(position)).materialize()
        }
    }

    private func decode<each Column: PostgresDecodable>(_ row: PostgresRow, as type: (repeat each Column).Type) throws -> (repeat each Column) {
        do {
            return try row.decode(type, context: .default)
        } catch {
            throw EventLogError(.corruptRecord, "a row of '\(location)' does not decode: \(String(reflecting: error))")
        }
    }

    // MARK: - Errors

    /// An `EventLogError` for a failure of PostgreSQL or of the connection, naming the location.
    static func mapError(_ error: any Error, _ what: String, location: String) -> EventLogError {
        if let error = error as? EventLogError { return error }
        guard let error = error as? PSQLError else {
            // SwiftNIO's channel and socket errors: the connection failed.
            return EventLogError(.unavailable, "\(what) at '\(location)' failed: the connection to the server failed (\(error))")
        }
        guard let info = error.serverInfo else {
            return EventLogError(
                .unavailable,
                "\(what) at '\(location)' failed: the connection to the server failed or was lost (\(error.code)\(error.underlying.map { ": \($0)" } ?? ""))")
        }
        let state = info[.sqlState] ?? "?"
        var text = "\(what) at '\(location)' failed: PostgreSQL \(state): \(info[.message] ?? "")"
        if let detail = info[.detail] { text += " (\(detail))" }
        let code: EventLogError.Code =
            switch state {
            case "53100", "53200": .storageFull  // disk_full, out_of_memory
            case "42501", "25006": .readOnly  // insufficient_privilege, read_only_sql_transaction
            // query_canceled (statement_timeout), lock_not_available (lock_timeout),
            // idle_in_transaction_session_timeout, and the connection and shutdown classes.
            case "57014", "55P03", "25P03": .unavailable
            case _ where state.hasPrefix("08") || state.hasPrefix("57P"): .unavailable
            default: .storage
            }
        return EventLogError(code, text)
    }
}

extension PostgresQueryResult {
    /// The first column of the first row, if any.
    func decodeFirst<T: PostgresDecodable>(_ type: T.Type) throws -> T? {
        try first.map { try $0.decode(T.self) }
    }
}


/// Opens the ledger at `location` with the backend its form names: a
/// `postgres://` URL is a PostgreSQL ledger (opened with `configuration`'s
/// access mode and metrics factory), anything else an LMDB folder opened with `configuration`.
public func openEventStore(at location: String, configuration: EventLogConfiguration = .init()) throws -> any EventStore {
    if PostgresLedgerConfiguration.isPostgresURL(location) {
        var postgres = try PostgresLedgerConfiguration(url: location)
        postgres.access = configuration.access
        postgres.metricsFactory = configuration.metricsFactory
        return try PostgresEventLog(configuration: postgres)
    }
    return try EventLog(path: location, configuration: configuration)
}

// MARK: - Subject key records

/// The rows of the `subject_keys` table, beside the ledger's tables: the records
/// of a subject key store (module `PostgresSubjectKeys`). Unlike the log's
/// tables, its rows are deleted, and the table is then rewritten (`VACUUM
/// FULL`), so that a deleted row leaves no copy in the table's files.
extension PostgresEventLog {
    /// The table, schema-qualified and quoted.
    package var keyRecordsTable: String { schemaName(of: "subject_keys") }

    /// Makes the table when it is missing.
    package func prepareKeyRecords() throws {
        _ = try run(
            PostgresQuery(unsafeSQL: "CREATE TABLE IF NOT EXISTS \(keyRecordsTable) (name text PRIMARY KEY, value bytea NOT NULL)"),
            "making the subject key table")
    }

    /// The record `name`, or nil (also when there is no table).
    package func keyRecord(_ name: String) throws -> [UInt8]? {
        let exists = try run("SELECT to_regclass(\(keyRecordsTable)) IS NOT NULL", "looking for the subject key table").decodeFirst(Bool.self) ?? false
        guard exists else { return nil }
        let rows = try run("SELECT value FROM \(unescaped: keyRecordsTable) WHERE name = \(name)", "reading the subject key record '\(name)'")
        guard let row = rows.first else { return nil }
        return Array(buffer: try row.decode(ByteBuffer.self))
    }

    /// Stores the record `name` unless there is one (then false).
    package func addKeyRecord(_ name: String, _ bytes: [UInt8]) throws -> Bool {
        let rows = try run(
            "INSERT INTO \(unescaped: keyRecordsTable) (name, value) VALUES (\(name), \(ByteBuffer(bytes: bytes))) ON CONFLICT (name) DO NOTHING RETURNING name",
            "storing the subject key record '\(name)'")
        return rows.first != nil
    }

    /// Stores the record `name`, replacing one of that name.
    package func replaceKeyRecord(_ name: String, _ bytes: [UInt8]) throws {
        _ = try run(
            "INSERT INTO \(unescaped: keyRecordsTable) (name, value) VALUES (\(name), \(ByteBuffer(bytes: bytes))) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            "storing the subject key record '\(name)'")
    }

    /// Deletes the records `names` in one transaction, waits (up to `timeout`)
    /// until no transaction that may still see them is open, then rewrites the
    /// table, so that no dead row keeps them.
    ///
    /// `VACUUM FULL` copies a deleted row that a transaction begun before the
    /// deletion may still read; so the rewrite waits for those to end (other
    /// hosts' appends end within milliseconds).
    ///
    /// - Throws: ``EventLogError`` when the server fails, or when such
    ///   transactions are still open after `timeout`: then the records are
    ///   deleted (they can no longer be read) but their bytes stay in the
    ///   table's files until the table is rewritten after they end.
    package func removeKeyRecords(_ names: [String], timeout: Duration) throws {
        let listed = names.map { "'\($0)'" }.joined(separator: ", ")
        // The deleting transaction's id: a dead row stays while a transaction
        // whose snapshot is that old or older is open.
        let deletion = try run(
            "WITH gone AS (DELETE FROM \(unescaped: keyRecordsTable) WHERE name = ANY(\(names)) RETURNING 1) SELECT pg_current_xact_id()::xid::text FROM (SELECT count(*) FROM gone) AS deleted",
            "deleting the subject key records \(listed)"
        ).decodeFirst(String.self) ?? "0"
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var holders = try transactions(olderThanOrAt: deletion)
        while !holders.isEmpty && clock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            holders = try transactions(olderThanOrAt: deletion)
        }
        _ = try run(PostgresQuery(unsafeSQL: "VACUUM FULL \(keyRecordsTable)"), "rewriting the subject key table")
        guard holders.isEmpty else {
            throw EventLogError(
                .storage,
                "the subject key records \(listed) are deleted and can no longer be read, but their bytes stay in \(keyRecordsTable)'s files while transactions that began before the deletion are open (\(holders.joined(separator: ", "))) after \(timeout); once they end, rewrite the table: VACUUM FULL \(keyRecordsTable)")
        }
    }

    /// The open transactions of this database (other than this connection's)
    /// whose snapshot or id is no newer than `xid`, the replication slots and
    /// prepared transactions that hold rows that old: what keeps `VACUUM`
    /// from dropping a row deleted by `xid`.
    private func transactions(olderThanOrAt xid: String) throws -> [String] {
        try run(
            """
            SELECT 'process ' || pid::text FROM pg_stat_activity
             WHERE pid <> pg_backend_pid() AND (datname = current_database() OR backend_type = 'walsender')
               AND (age(backend_xmin) >= age(\(xid)::xid) OR age(backend_xid) >= age(\(xid)::xid))
            UNION ALL SELECT 'prepared transaction ' || gid FROM pg_prepared_xacts
             WHERE database = current_database() AND age(transaction) >= age(\(xid)::xid)
            UNION ALL SELECT 'replication slot ' || slot_name FROM pg_replication_slots
             WHERE age(xmin) >= age(\(xid)::xid)
            """,
            "looking for transactions that still see a deleted subject key record"
        ).map { try $0.decode(String.self) }
    }
}

extension PostgresEventLog {
    /// The rows of a query (its columns cast to text) as text, NULL as nil, unchecked: for the package's
    /// tests, which look at the server's files.
    package func textRows(unsafeSQL sql: String) throws -> [[String?]] {
        try run(PostgresQuery(unsafeSQL: sql), "running SQL").map { row in row.map { cell in cell.bytes.map { String(buffer: $0) } } }
    }
}
