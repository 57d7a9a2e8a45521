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
    func check(_ rc: Int32, _ what: String) throws {
        if rc != 0 { throw RewriteError(description: "\(what) failed on \(path): \(String(cString: mdb_strerror(rc)))") }
    }
    var env: OpaquePointer?
    try check(mdb_env_create(&env), "mdb_env_create")
    defer { mdb_env_close(env) }
    mdb_env_set_maxdbs(env, 16)
    mdb_env_set_mapsize(env, 1 << 34)
    try check(mdb_env_open(env, path, 0, 0o644), "mdb_env_open")
    var txn: OpaquePointer?
    try check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
    var committed = false
    defer { if !committed { mdb_txn_abort(txn) } }
    var dbi: MDB_dbi = 0
    try check(mdb_dbi_open(txn, "events", 0, &dbi), "mdb_dbi_open")
    var keyValue = position.bigEndian
    try withUnsafeMutableBytes(of: &keyValue) { keyBytes in
        var key = MDB_val(mv_size: 8, mv_data: keyBytes.baseAddress)
        var value = MDB_val()
        try check(mdb_get(txn, dbi, &key, &value), "reading position \(position)")
        var record = Array(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
        change(&record)
        try record.withUnsafeMutableBytes { recordBytes in
            var newValue = MDB_val(mv_size: recordBytes.count, mv_data: recordBytes.baseAddress)
            try check(mdb_put(txn, dbi, &key, &newValue, 0), "writing position \(position)")
        }
    }
    try check(mdb_txn_commit(txn), "mdb_txn_commit")
    committed = true
}
