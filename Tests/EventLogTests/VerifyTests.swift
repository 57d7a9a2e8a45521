import EventLog
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
            var checked: [UInt64] = []
            for run in 0..<100 {
                let report = try log.verify()
                #expect(report.isValid, "run \(run): \(report.problem ?? "")")
                checked.append(report.eventsChecked)
            }
            // The writers really were appending while verify ran.
            #expect(checked.last! > checked.first!, "the helpers should have appended during the runs: \(checked.first!)…\(checked.last!)")
        }
    }
}
