import CLMDB
import EventLog
import Testing
import TicketLedgerTesting

/// Rewrites the record at `position` through LMDB's C API, with `change` applied.
func tamper(ledger path: String, position: UInt64, _ change: (inout [UInt8]) -> Void) throws {
    var env: OpaquePointer?
    try #require(mdb_env_create(&env) == 0)
    defer { mdb_env_close(env) }
    mdb_env_set_maxdbs(env, 16)
    mdb_env_set_mapsize(env, 1 << 30)
    try #require(mdb_env_open(env, path, 0, 0o644) == 0)
    var txn: OpaquePointer?
    try #require(mdb_txn_begin(env, nil, 0, &txn) == 0)
    var dbi: MDB_dbi = 0
    try #require(mdb_dbi_open(txn, "events", 0, &dbi) == 0)
    var keyValue = position.bigEndian
    try withUnsafeMutableBytes(of: &keyValue) { keyBytes in
        var key = MDB_val(mv_size: 8, mv_data: keyBytes.baseAddress)
        var value = MDB_val()
        try #require(mdb_get(txn, dbi, &key, &value) == 0)
        var record = Array(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
        change(&record)
        try record.withUnsafeMutableBytes { recordBytes in
            var newValue = MDB_val(mv_size: recordBytes.count, mv_data: recordBytes.baseAddress)
            try #require(mdb_put(txn, dbi, &key, &newValue, 0) == 0)
        }
    }
    try #require(mdb_txn_commit(txn) == 0)
}

@Suite("Tamper evidence")
struct VerifyTests {
    @Test("flipping any single byte of a stored record makes verify name exactly that position")
    func everyByteFlip() async throws {
        try await withTemporaryDirectory { path in
            var lengths: [UInt64: Int] = [:]
            do {
                let log = try EventLog(path: path)
                for index in 0..<30 {
                    _ = try log.append([sampleEvent("event \(index)", payloadSize: 40 + index)], to: "ticket-\(index % 4)")
                }
                for event in try log.read(from: 1) {
                    lengths[event.position] = 96 + event.streamID.utf8.count + event.type.utf8.count
                        + event.event.actor.id.utf8.count + event.payload.count + 32
                }
                #expect(try log.verify().isValid)
            }
            // Every byte of three records (first, middle, last), each bit pattern 0xFF.
            for position in [UInt64(1), 17, 30] {
                for offset in 0..<lengths[position]! {
                    try tamper(ledger: path, position: position) { $0[offset] ^= 0xFF }
                    let log = try EventLog(path: path, configuration: EventLogConfiguration(access: .readOnly))
                    let report = try log.verify()
                    log.close()
                    #expect(!report.isValid)
                    #expect(report.firstBadPosition == position, "byte \(offset) of record \(position): \(report.problem ?? "")")
                    try tamper(ledger: path, position: position) { $0[offset] ^= 0xFF }
                }
            }
            let log = try EventLog(path: path)
            #expect(try log.verify().isValid)
        }
    }

    @Test("a record cut short or grown names its position")
    func lengthChanges() async throws {
        try await withTemporaryDirectory { path in
            do {
                let log = try EventLog(path: path)
                for index in 0..<5 { _ = try log.append([sampleEvent("\(index)")], to: "s") }
            }
            try tamper(ledger: path, position: 3) { $0.removeLast() }
            var log = try EventLog(path: path)
            #expect(try log.verify().firstBadPosition == 3)
            log.close()
            try tamper(ledger: path, position: 3) { $0.append(0) }
            try tamper(ledger: path, position: 3) { $0.append(0) }
            log = try EventLog(path: path)
            #expect(try log.verify().firstBadPosition == 3)
        }
    }
}
