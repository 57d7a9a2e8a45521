import CLMDBRaw
import Foundation

/// The baseline: the same work through LMDB's C API with nothing on top, one
/// database keyed by 8-byte big-endian positions.
struct RawLMDB {
    let env: OpaquePointer
    let dbi: MDB_dbi

    /// Opens (creating) an environment at `path` whose main records live in `database`.
    init(path: String, database: String = "raw", mapSize: Int = 8 << 30) {
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
        mdb_txn_commit(txn)
        self.env = env!
        self.dbi = dbi
    }

    func close() { mdb_env_close(env) }

    /// Puts `count` values of `payload` at positions from `first`, `perCommit` per
    /// write transaction, each commit synced.
    func append(first: UInt64, count: Int, perCommit: Int, payload: [UInt8]) {
        var position = first
        var remaining = count
        var value = payload
        while remaining > 0 {
            var txn: OpaquePointer?
            precondition(mdb_txn_begin(env, nil, 0, &txn) == 0)
            for _ in 0..<min(perCommit, remaining) {
                var key = position.bigEndian
                withUnsafeMutableBytes(of: &key) { keyBytes in
                    value.withUnsafeMutableBytes { valueBytes in
                        var k = MDB_val(mv_size: 8, mv_data: keyBytes.baseAddress)
                        var v = MDB_val(mv_size: valueBytes.count, mv_data: valueBytes.baseAddress)
                        precondition(mdb_put(txn, dbi, &k, &v, UInt32(MDB_APPEND)) == 0)
                    }
                }
                position += 1
                remaining -= 1
            }
            precondition(mdb_txn_commit(txn) == 0)
        }
    }

    /// Walks every record with a cursor, touching each value's first and last byte.
    func scan() -> (count: Int, checksum: UInt64) {
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
            let bytes = UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
            checksum &+= UInt64(bytes[0]) &+ UInt64(bytes[bytes.count - 1])
            count += 1
            op = MDB_NEXT
        }
        return (count, checksum)
    }
}
