import EventLog
import PostgresEventLog
import LedgerBackendsTesting
import Testing
import TicketLedgerTesting

@Suite("Tamper evidence")
struct VerifyTests {
    @Test("flipping any single byte of a stored record makes verify name exactly that position", arguments: Backend.allCases)
    func everyByteFlip(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            var lengths: [UInt64: Int] = [:]
            do {
                let log = try openLedger(path)
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
                    try tamper(path, position: position, .flip(offset: offset))
                    let log = try openLedger(path, access: .readOnly)
                    let report = try log.verify()
                    log.close()
                    #expect(!report.isValid)
                    #expect(report.firstBadPosition == position, "byte \(offset) of record \(position): \(report.problem ?? "")")
                    try tamper(path, position: position, .flip(offset: offset))
                }
            }
            let log = try openLedger(path)
            #expect(try log.verify().isValid)
        }
    }

    @Test("a record cut short or grown names its position", arguments: Backend.allCases)
    func lengthChanges(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            do {
                let log = try openLedger(path)
                for index in 0..<5 { _ = try log.append([sampleEvent("\(index)")], to: "s") }
            }
            try tamper(path, position: 3, .dropLastByte)
            var log = try openLedger(path)
            #expect(try log.verify().firstBadPosition == 3)
            log.close()
            try tamper(path, position: 3, .appendZeroByte)
            try tamper(path, position: 3, .appendZeroByte)
            log = try openLedger(path)
            #expect(try log.verify().firstBadPosition == 3)
        }
    }

    @Test("verify run 100 times while four processes append never reports the ledger invalid", arguments: Backend.allCases)
    func verifyWhileAppending(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            do {
                // Create the ledger (and, on LMDB, a map the writers will not have to grow at once).
                let log = try openLedger(path)
                _ = try log.append([sampleEvent("first")], to: "setup")
                log.close()
            }
            let helpers = try ["a", "b", "c", "d"].map { prefix in
                try HelperProcess(["append", path, prefix, "1000000", "durable"])
            }
            defer { for helper in helpers { helper.kill() } }
            for helper in helpers { #expect(helper.waitFor("ready")) }
            let log = try openLedger(path, access: .readOnly)
            defer { log.close() }
            // At least 100 runs, and on until the writers have appended 200 events meanwhile
            // (on a loaded machine they may start slowly).
            var checked: [UInt64] = []
            let deadline = ContinuousClock.now + .seconds(120)
            while checked.count < 100 || (checked.last! - checked.first! < 200 && ContinuousClock.now < deadline) {
                let report = try log.verify()
                #expect(report.isValid, "run \(checked.count): \(report.problem ?? "")")
                checked.append(report.eventsChecked)
            }
            // The writers really were appending while verify ran.
            #expect(checked.last! - checked.first! >= 200, "the helpers should have appended during the runs: \(checked.first!)…\(checked.last!)")
        }
    }

    @Test("edits to the streams or ids index are found by verify, naming the stream or the id", arguments: Backend.allCases)
    func indexEdits(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            var ids: [UInt64: EventID] = [:]
            do {
                let log = try openLedger(path)
                for index in 0..<12 { _ = try await log.append([sampleEvent("event \(index)")], to: "ticket-\(index % 3)") }
                try log.forEachRecord(from: 1) { ids[$0.position] = $0.id }
                #expect(try log.verify().isValid)
                log.close()
            }
            // Position 2 is ticket-1 version 1; position 3 is ticket-2 version 1.
            func verifyAfter(_ edit: () throws -> Void, undo: () throws -> Void, expecting text: String, at position: UInt64?) throws {
                try edit()
                let log = try openLedger(path, access: .readOnly)
                let report = try log.verify()
                log.close()
                #expect(!report.isValid)
                #expect(report.problem?.contains(text) == true, "\(report.problem ?? "valid")")
                #expect(report.firstBadPosition == position)
                try undo()
                let again = try openLedger(path, access: .readOnly)
                #expect(try again.verify().isValid)
                again.close()
            }
            if backend == .lmdb {
                let stream = Array("ticket-1".utf8)
                try verifyAfter(
                    { try editIndex(ledger: path, index: .streams, key: stream, remove: 2, add: 3) },
                    undo: { try editIndex(ledger: path, index: .streams, key: stream, remove: 3, add: 2) },
                    expecting: "the streams index puts stream 'ticket-1' version 1 at position 3, which holds stream 'ticket-2' version 1", at: 3)
                let id = ids[5]!.bytes
                try verifyAfter(
                    { try editIndex(ledger: path, index: .ids, key: id, remove: nil, add: 6) },
                    undo: { try editIndex(ledger: path, index: .ids, key: id, remove: nil, add: 5) },
                    expecting: "the ids index puts event id \(ids[5]!) at position 6, which holds event id \(ids[6]!)", at: 6)
                try verifyAfter(
                    { try editIndex(ledger: path, index: .ids, key: id, remove: 5, add: nil) },
                    undo: { try editIndex(ledger: path, index: .ids, key: id, remove: nil, add: 5) },
                    expecting: "the ids index has 11 entries for 12 records", at: nil)
                try verifyAfter(
                    { try editIndex(ledger: path, index: .streams, key: stream, remove: 2, add: nil) },
                    undo: { try editIndex(ledger: path, index: .streams, key: stream, remove: nil, add: 2) },
                    expecting: "stream 'ticket-1' version 1 at position 5, which holds stream 'ticket-1' version 2", at: 5)
            } else {
                let log = try PostgresEventLog(url: path)
                defer { log.close() }
                let table = log.eventsTable
                func sql(_ statements: String...) throws {
                    try log.execute(unsafeSQL: "ALTER TABLE \(table) DISABLE TRIGGER append_only")
                    for statement in statements { try log.execute(unsafeSQL: statement) }
                    try log.execute(unsafeSQL: "ALTER TABLE \(table) ENABLE TRIGGER append_only")
                }
                // The server's constraints refuse a single row's move; a whole stream renamed passes them.
                try verifyAfter(
                    { try sql("UPDATE \(table) SET stream = 'ticket-9' WHERE stream = 'ticket-2'") },
                    undo: { try sql("UPDATE \(table) SET stream = 'ticket-2' WHERE stream = 'ticket-9'") },
                    expecting: "row 3 is filed as stream 'ticket-9' version 1, but its record is stream 'ticket-2' version 1", at: 3)
                try verifyAfter(
                    { try sql("UPDATE \(table) SET event_id = '\\x00000000000000000000000000000001' WHERE position = 5") },
                    undo: { try sql("UPDATE \(table) SET event_id = '\\x\(ids[5]!.bytes.hexString)' WHERE position = 5") },
                    expecting: "row 5 is filed as event id 00000000-0000-0000-0000-000000000001, but its record is event id \(ids[5]!)", at: 5)
            }
        }
    }
}
