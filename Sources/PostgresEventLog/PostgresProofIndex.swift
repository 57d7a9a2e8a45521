import EventLog
import NIOCore
import PostgresNIO

/// The proof index (`ProofIndex`) in PostgreSQL: the tables `tree` (level,
/// idx, hash) and `histories` (position, version, history), append-only like
/// `events` and written in the same transaction as the records they cover.
/// Reads go through one connection (the log's reader); the writer calls them
/// while it holds the ledger's lock, so what they read cannot change under it.
struct PostgresProofIndex: Sendable {
    let server: ServerConnection
    let schema: LedgerSchema
    let location: String

    private func run(_ query: PostgresQuery, _ what: String) throws -> PostgresQueryResult {
        try server.query(query, what)
    }

    private func decode<each Column: PostgresDecodable>(_ row: PostgresRow, as type: (repeat each Column).Type) throws -> (repeat each Column) {
        do {
            return try row.decode(type, context: .default)
        } catch {
            throw EventLogError(.corruptRecord, "a row of the proof index of '\(location)' does not decode: \(String(reflecting: error))")
        }
    }

    /// The last position the index covers; 0 in a ledger made before the
    /// index that has not been opened for writing since (no table yet).
    func size() throws -> UInt64 {
        let exists = try run("SELECT to_regclass(\(schema.histories)) IS NOT NULL", "reading the proof index")
        guard let row = exists.first, try decode(row, as: Bool.self) else { return 0 }
        let rows = try run("SELECT coalesce(max(position), 0) FROM \(unescaped: schema.histories)", "reading the proof index")
        guard let row = rows.first else { return 0 }
        let last: Int64 = try decode(row, as: Int64.self)
        return UInt64(last)
    }

    /// A stored tree node, or nil.
    func node(level: Int, index: UInt64) throws -> MerkleTree.Hash? {
        let rows = try run(
            "SELECT hash FROM \(unescaped: schema.tree) WHERE level = \(Int16(level)) AND idx = \(Int64(clamping: index))",
            "reading the proof index")
        guard let row = rows.first else { return nil }
        let hash = Array(buffer: try decode(row, as: ByteBuffer.self))
        guard hash.count == 32 else {
            throw EventLogError(.corruptRecord, "the tree node at level \(level), index \(index) of '\(location)' has \(hash.count) bytes instead of 32")
        }
        return hash
    }

    /// The root of the records `range` (leaves).
    func recordsRoot(_ range: Range<UInt64>) throws -> MerkleTree.Hash {
        var builder = MerkleTree.Builder()
        try addLeaves(range, to: &builder, start: range.lowerBound)
        return builder.root
    }

    /// Continues `tree` (of the records before) with the records up to position `last`.
    func extend(_ tree: inout MerkleTree.Builder, to last: UInt64) throws {
        try addLeaves(tree.size..<last, to: &tree, start: 0)
    }

    /// Appends the leaf hashes of the records `range` to `builder`, which holds `range.lowerBound - start` leaves.
    private func addLeaves(_ range: Range<UInt64>, to builder: inout MerkleTree.Builder, start: UInt64) throws {
        let rows = try run(
            """
            SELECT position, record FROM \(unescaped: schema.events)
            WHERE position > \(Int64(clamping: range.lowerBound)) AND position <= \(Int64(clamping: range.upperBound)) ORDER BY position
            """, "reading records")
        for row in rows {
            let (position, record) = try decode(row, as: (Int64, ByteBuffer).self)
            guard UInt64(position) == start + builder.size + 1 else { break }
            builder.append(leafHash: record.withUnsafeReadableBytes { MerkleTree.leafHash($0) })
        }
        guard start + builder.size == range.upperBound else {
            throw EventLogError(.corruptRecord, "the ledger at '\(location)' has no record \(start + builder.size + 1)", position: start + builder.size + 1)
        }
    }

    /// The tree of the first `size` records, from the stored nodes and the last records.
    func tree(size: UInt64) throws -> MerkleTree.Builder {
        try ProofIndex.tree(size: size, location: location, node: node, records: recordsRoot)
    }

    /// The histories of `streams` after their last records at or before `position`.
    func histories(of streams: [String], upTo position: UInt64) throws -> [String: MerkleTree.Hash] {
        guard !streams.isEmpty else { return [:] }
        let rows = try run(
            """
            SELECT s.name, h.history FROM unnest(\(streams)::text[]) AS s(name)
            CROSS JOIN LATERAL (SELECT x.position FROM \(unescaped: schema.events) x
                                WHERE x.stream = s.name AND x.position <= \(Int64(clamping: position))
                                ORDER BY x.version DESC LIMIT 1) e
            JOIN \(unescaped: schema.histories) h ON h.position = e.position
            """, "reading the proof index")
        var found: [String: MerkleTree.Hash] = [:]
        for row in rows {
            let (stream, history) = try decode(row, as: (String, ByteBuffer).self)
            found[stream] = Array(buffer: history)
        }
        return found
    }

    /// The index rows of the records after the index's last (`indexed`) up to
    /// `last`, computed from the records; `latest` gains each stream's newest history.
    func catchUp(from indexed: UInt64, to last: UInt64, latest: inout [String: MerkleTree.Hash]) throws -> ProofIndex.Update {
        var update = ProofIndex.Update(tree: try tree(size: indexed))
        var next = indexed + 1
        while next <= last {
            let rows = try run(
                """
                SELECT position, record FROM \(unescaped: schema.events)
                WHERE position >= \(Int64(clamping: next)) AND position <= \(Int64(clamping: last)) ORDER BY position LIMIT 4096
                """, "reading records")
            let records = try rows.map { try decode($0, as: (Int64, ByteBuffer).self) }
            guard !records.isEmpty else { break }
            // The streams these records continue from before the index's end, in one query.
            var continued = Set<String>()
            for (position, bytes) in records {
                try bytes.withUnsafeReadableBytes { raw in
                    let record = try RecordView(validating: raw, position: UInt64(position))
                    if record.streamVersion > 1, latest[record.streamID] == nil { continued.insert(record.streamID) }
                }
            }
            latest.merge(try histories(of: Array(continued), upTo: indexed)) { new, _ in new }
            for (position, bytes) in records {
                try bytes.withUnsafeReadableBytes { raw in
                    let record = try RecordView(validating: raw, position: UInt64(position))
                    try update.add(record, previous: { try Self.history(of: $0, in: latest, location: location) })
                    latest[record.streamID] = update.histories[update.histories.count - 1].history.hash
                }
            }
            next = UInt64(records[records.count - 1].0) + 1
        }
        guard update.tree.size == last else {
            throw EventLogError(.corruptRecord, "the ledger at '\(location)' has no record \(update.tree.size + 1)", position: update.tree.size + 1)
        }
        return update
    }

    /// A stream's newest history from `latest`, or the error of an index that lacks it.
    static func history(of stream: String, in latest: [String: MerkleTree.Hash], location: String) throws -> MerkleTree.Hash {
        guard let history = latest[stream] else {
            throw EventLogError(.corruptRecord, "the proof index of '\(location)' has no history for stream '\(stream)'")
        }
        return history
    }

    /// The rows of records to insert into `events`, in position order.
    struct Rows {
        var positions: [Int64] = []
        var streams: [String] = []
        var versions: [Int64] = []
        var ids: [ByteBuffer] = []
        var records: [ByteBuffer] = []
    }

    /// One statement that inserts `rows` into `events` (and notifies the last
    /// position at commit) with `update`'s rows of the proof index; the index
    /// rows alone when `rows` is empty (an upgrade).
    static func insertion(_ rows: Rows, _ update: ProofIndex.Update, into schema: LedgerSchema) -> PostgresQuery {
        let positions = update.histories.map { Int64($0.position) }
        let versions = update.histories.map { Int64($0.version) }
        let histories = update.histories.map { entry in entry.history.withUnsafeBytes { ByteBuffer(bytes: $0) } }
        let levels = update.nodes.map { Int16($0.level) }
        let indexes = update.nodes.map { Int64($0.index) }
        let hashes = update.nodes.map { ByteBuffer(bytes: $0.hash) }
        guard !rows.positions.isEmpty else {
            return """
                WITH indexed AS (
                    INSERT INTO \(unescaped: schema.histories) (position, version, history)
                    SELECT * FROM unnest(\(positions)::bigint[], \(versions)::bigint[], \(histories)::bytea[])),
                nodes AS (
                    INSERT INTO \(unescaped: schema.tree) (level, idx, hash)
                    SELECT * FROM unnest(\(levels)::smallint[], \(indexes)::bigint[], \(hashes)::bytea[]))
                SELECT 1
                """
        }
        return """
            WITH inserted AS (
                INSERT INTO \(unescaped: schema.events) (position, stream, version, event_id, record)
                SELECT * FROM unnest(\(rows.positions)::bigint[], \(rows.streams)::text[], \(rows.versions)::bigint[],
                                     \(rows.ids)::bytea[], \(rows.records)::bytea[])
                RETURNING position),
            indexed AS (
                INSERT INTO \(unescaped: schema.histories) (position, version, history)
                SELECT * FROM unnest(\(positions)::bigint[], \(versions)::bigint[], \(histories)::bytea[])),
            nodes AS (
                INSERT INTO \(unescaped: schema.tree) (level, idx, hash)
                SELECT * FROM unnest(\(levels)::smallint[], \(indexes)::bigint[], \(hashes)::bytea[]))
            SELECT pg_notify(\(schema.channel), max(position)::text) FROM inserted
            """
    }
}
