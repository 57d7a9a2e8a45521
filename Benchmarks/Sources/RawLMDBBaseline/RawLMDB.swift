import CLMDBRaw
import EventLog
import Foundation

/// The baseline: the same puts as the log (the record under its 8-byte big-endian
/// position in `events`, the position under the stream in `streams`, the
/// position under the 16-byte id in `ids`) through LMDB's C API, with nothing on
/// top: no encoding, no hashing, no checks.
public struct RawLMDB {
    let env: OpaquePointer
    let dbi: MDB_dbi
    let streams: MDB_dbi
    let ids: MDB_dbi
    let histories: MDB_dbi

    /// Opens (creating) an environment at `path` with the log's three databases.
    public init(path: String, database: String = "events", mapSize: Int = 8 << 30) {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var env: OpaquePointer?
        precondition(mdb_env_create(&env) == 0)
        mdb_env_set_maxdbs(env, 16)
        mdb_env_set_mapsize(env, mapSize)
        precondition(mdb_env_open(env, path, UInt32(MDB_NOTLS), 0o644) == 0, "raw open \(path)")
        var txn: OpaquePointer?
        mdb_txn_begin(env, nil, 0, &txn)
        var dbi: MDB_dbi = 0
        precondition(mdb_dbi_open(txn, database, UInt32(MDB_CREATE), &dbi) == 0)
        var streams: MDB_dbi = 0
        precondition(mdb_dbi_open(txn, "streams", UInt32(MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED), &streams) == 0)
        var ids: MDB_dbi = 0
        precondition(mdb_dbi_open(txn, "ids", UInt32(MDB_CREATE), &ids) == 0)
        var histories: MDB_dbi = 0
        precondition(mdb_dbi_open(txn, "histories", UInt32(MDB_CREATE), &histories) == 0)
        mdb_txn_commit(txn)
        self.histories = histories
        self.env = env!
        self.dbi = dbi
        self.streams = streams
        self.ids = ids
    }

    public func close() { mdb_env_close(env) }

    /// Puts `ids.count` records of `recordSize` bytes at positions from `first`,
    /// `perCommit` per write transaction (each commit synced), each also indexed
    /// under `stream(index)` and its id.
    ///
    /// With `proofIndex`, each record also puts a 40-byte value under its
    /// position in a fourth database, as the proof index's `histories` does:
    /// the baseline of what that index costs LMDB itself.
    public func append(first: UInt64, ids eventIDs: [EventID], perCommit: Int, recordSize: Int, proofIndex: Bool = false, stream: (Int) -> String) {
        var record = [UInt8](repeating: 0x42, count: recordSize)
        var history = [UInt8](repeating: 0x17, count: 40)
        var index = 0
        while index < eventIDs.count {
            var txn: OpaquePointer?
            precondition(mdb_txn_begin(env, nil, 0, &txn) == 0)
            let end = min(index + perCommit, eventIDs.count)
            while index < end {
                var key = (first + UInt64(index)).bigEndian
                var streamKey = Array(stream(index).utf8)
                var id = eventIDs[index].bytes
                withUnsafeMutableBytes(of: &key) { keyBytes in
                    var k = MDB_val(mv_size: 8, mv_data: keyBytes.baseAddress)
                    record.withUnsafeMutableBytes { valueBytes in
                        var v = MDB_val(mv_size: valueBytes.count, mv_data: valueBytes.baseAddress)
                        precondition(mdb_put(txn, dbi, &k, &v, UInt32(MDB_APPEND)) == 0)
                    }
                    streamKey.withUnsafeMutableBytes { streamBytes in
                        var s = MDB_val(mv_size: streamBytes.count, mv_data: streamBytes.baseAddress)
                        var p = MDB_val(mv_size: 8, mv_data: keyBytes.baseAddress)
                        precondition(mdb_put(txn, streams, &s, &p, 0) == 0)
                    }
                    id.withUnsafeMutableBytes { idBytes in
                        var i = MDB_val(mv_size: 16, mv_data: idBytes.baseAddress)
                        var p = MDB_val(mv_size: 8, mv_data: keyBytes.baseAddress)
                        precondition(mdb_put(txn, ids, &i, &p, UInt32(MDB_NOOVERWRITE)) == 0)
                    }
                    if proofIndex {
                        history.withUnsafeMutableBytes { historyBytes in
                            var h = MDB_val(mv_size: 40, mv_data: historyBytes.baseAddress)
                            precondition(mdb_put(txn, histories, &k, &h, UInt32(MDB_APPEND)) == 0)
                        }
                    }
                }
                index += 1
            }
            precondition(mdb_txn_commit(txn) == 0)
        }
    }

    /// Walks every record with a cursor, touching each value's first and last byte.
    public func scan() -> (count: Int, checksum: UInt64) {
        walk { bytes in UInt64(bytes[0]) &+ UInt64(bytes[bytes.count - 1]) }
    }

    /// Walks every record with a cursor and reads every byte of each value
    /// (a sum of its 8-byte words and its tail): the least work a replay that
    /// looks at whole records can do, issue 16's baseline.
    public func scanEveryByte() -> (count: Int, checksum: UInt64) {
        walk { bytes in
            var sum: UInt64 = 0
            let words = bytes.count / 8
            for index in 0..<words { sum &+= bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) }
            for index in (words * 8)..<bytes.count { sum &+= UInt64(bytes[index]) }
            return sum
        }
    }

    /// Every record's value through `visit`, in key order, in one read transaction: the count and the sum of what `visit` returned.
    @inline(__always)
    private func walk(_ visit: (UnsafeRawBufferPointer) -> UInt64) -> (count: Int, checksum: UInt64) {
        var txn: OpaquePointer?
        precondition(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn) == 0)
        defer { mdb_txn_abort(txn) }
        var cursor: OpaquePointer?
        mdb_cursor_open(txn, dbi, &cursor)
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        var count = 0
        var checksum: UInt64 = 0
        var op = MDB_FIRST
        while mdb_cursor_get(cursor, &key, &value, op) == 0 {
            checksum &+= visit(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
            count += 1
            op = MDB_NEXT
        }
        return (count, checksum)
    }
}
