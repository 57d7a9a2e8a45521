internal import CLMDB

/// An error of ``rewriteRecord(ledger:position:_:)``.
public struct RewriteError: Error, CustomStringConvertible {
    /// What failed, with LMDB's message.
    public var description: String
}

/// Rewrites the stored record at `position` of the (closed) ledger in the folder
/// `path` with `change` applied, behind the log's back, through LMDB's C API.
///
/// For tests of tamper evidence: `verify()` must then name `position`. Never use
/// it on a ledger you care about.
public func rewriteRecord(ledger path: String, position: UInt64, _ change: (inout [UInt8]) -> Void) throws {
    try rewriteValue(ledger: path, database: "events", key: withUnsafeBytes(of: position.bigEndian) { Array($0) }, change)
}

/// One of the ledger's indexes, for ``editIndex(ledger:index:key:remove:add:)``.
public enum LedgerIndex: String, Sendable {
    /// Stream id to its positions (one per version).
    case streams
    /// Event id (16 bytes) to its position.
    case ids
}

/// Changes an entry of the (closed) ledger's `streams` or `ids` index behind the
/// log's back: removes `key → remove` and adds `key → add` (either may be nil).
/// For tests: `verify()` must then name the stream or the id.
public func editIndex(ledger path: String, index: LedgerIndex, key: [UInt8], remove: UInt64?, add: UInt64?) throws {
    try withRawWriteTransaction(path) { txn, open in
        let dbi = try open(index.rawValue)
        var keyBytes = key
        try keyBytes.withUnsafeMutableBytes { keyBuffer in
            var k = MDB_val(mv_size: keyBuffer.count, mv_data: keyBuffer.baseAddress)
            if let remove {
                var position = remove.bigEndian
                try withUnsafeMutableBytes(of: &position) { value in
                    var v = MDB_val(mv_size: 8, mv_data: value.baseAddress)
                    // streams holds several positions under one key: remove just this one.
                    let rc = index == .streams ? mdb_del(txn, dbi, &k, &v) : mdb_del(txn, dbi, &k, nil)
                    try check(rc, "removing an entry of \(index.rawValue)", path)
                }
            }
            if let add {
                var position = add.bigEndian
                try withUnsafeMutableBytes(of: &position) { value in
                    var v = MDB_val(mv_size: 8, mv_data: value.baseAddress)
                    try check(mdb_put(txn, dbi, &k, &v, 0), "adding an entry to \(index.rawValue)", path)
                }
            }
        }
    }
}

private func check(_ rc: Int32, _ what: String, _ path: String) throws {
    if rc != 0 { throw RewriteError(description: "\(what) failed on \(path): \(String(cString: mdb_strerror(rc)))") }
}

/// Runs `body` in a write transaction of the ledger at `path` opened through
/// LMDB's C API, with a way to open its named databases, and commits.
private func withRawWriteTransaction(_ path: String, _ body: (OpaquePointer?, (String) throws -> MDB_dbi) throws -> Void) throws {
    var env: OpaquePointer?
    try check(mdb_env_create(&env), "mdb_env_create", path)
    defer { mdb_env_close(env) }
    mdb_env_set_maxdbs(env, 16)
    mdb_env_set_mapsize(env, 1 << 34)
    try check(mdb_env_open(env, path, 0, 0o644), "mdb_env_open", path)
    var txn: OpaquePointer?
    try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin", path)
    var committed = false
    defer { if !committed { mdb_txn_abort(txn) } }
    try body(txn) { name in
        var dbi: MDB_dbi = 0
        try check(mdb_dbi_open(txn, name, 0, &dbi), "opening the \(name) database", path)
        return dbi
    }
    try check(mdb_txn_commit(txn), "mdb_txn_commit", path)
    committed = true
}

/// Removes the proof index (the `tree` and `histories` databases) from the
/// (closed) ledger at `path`: the ledger then looks as a version before 0.3
/// wrote it, for tests of the upgrade.
public func dropProofIndex(ledger path: String) throws {
    try withRawWriteTransaction(path) { txn, open in
        for name in ["tree", "histories"] {
            try check(mdb_drop(txn, try open(name), 1), "dropping \(name)", path)
        }
    }
}

/// Overwrites one value of the (closed) ledger's proof index behind its back:
/// the history entry of a position (`histories`, 40 bytes) or a tree node
/// (`tree`, key = level byte and big-endian index). For tests of `verify`.
public func rewriteProofIndex(ledger path: String, database: String, key: [UInt8], _ change: (inout [UInt8]) -> Void) throws {
    try rewriteValue(ledger: path, database: database, key: key, change)
}

/// Reads the value under `key` in one of the (closed) ledger's databases,
/// applies `change`, and writes it back, through LMDB's C API.
private func rewriteValue(ledger path: String, database: String, key: [UInt8], _ change: (inout [UInt8]) -> Void) throws {
    try withRawWriteTransaction(path) { txn, open in
        let dbi = try open(database)
        var keyBytes = key
        try keyBytes.withUnsafeMutableBytes { keyBuffer in
            var k = MDB_val(mv_size: keyBuffer.count, mv_data: keyBuffer.baseAddress)
            var v = MDB_val()
            try check(mdb_get(txn, dbi, &k, &v), "reading \(database)", path)
            var value = Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            change(&value)
            try value.withUnsafeMutableBytes { valueBuffer in
                var newValue = MDB_val(mv_size: valueBuffer.count, mv_data: valueBuffer.baseAddress)
                try check(mdb_put(txn, dbi, &k, &newValue, 0), "writing \(database)", path)
            }
        }
    }
}
