import EventLog
import Foundation
import LedgerBackendsTesting
import Testing
import TicketLedgerTesting

@Suite("Faults a ledger meets")
struct FaultTests {
    @Test("removing lock.mdb while writers run admits no second writer: nothing acknowledged is lost, the chain holds")
    func removedLockFile() async throws {
        try await withFreshLedger(.lmdb) { path in
            do {
                let log = try openLedger(path)
                _ = try await log.append([sampleEvent("first")], to: "setup")
                log.close()
            }
            var helpers: [HelperProcess] = []
            for (round, prefix) in ["a", "b", "c"].enumerated() {
                let helper = try HelperProcess(["append", path, prefix, "1500", "durable"])
                #expect(helper.waitFor("ready"))
                helpers.append(helper)
                // Each later writer opens a new lock.mdb: LMDB's own lock no longer keeps them apart.
                if round < 2 {
                    try await Task.sleep(for: .milliseconds(50))
                    #expect(unlink(path + "/lock.mdb") == 0)
                }
            }
            // A writer whose lock file is no longer the one the others use is refused with
            // a clear error (its append was not acknowledged); one that still shares it goes on.
            for helper in helpers { _ = helper.waitUntilExit() }
            let log = try openLedger(path)
            defer { log.close() }
            let report = try log.verify()
            #expect(report.isValid, "\(report.problem ?? "")")
            var stored: [UInt64: EventID] = [:]
            try log.forEachRecord(from: 1) { stored[$0.position] = $0.id }
            var acknowledged = 0
            for line in helpers.flatMap(\.output) where line.hasPrefix("ack ") {
                let parts = line.split(separator: " ")
                acknowledged += 1
                #expect(stored[UInt64(parts[1])!] == EventID(String(parts[2])), "acknowledged position \(parts[1]) lost")
            }
            #expect(acknowledged > 0)
            #expect(stored.count == acknowledged + 1, "every stored event was acknowledged, none twice")
        }
    }

    @Test("opening a ledger while another process appends past its map succeeds, 200 times")
    func openWhileGrowing() async throws {
        try await withFreshLedger(.lmdb) { path in
            // The helper starts with a 1 MiB map and writes 200-byte events: it grows the map again and again.
            let helper = try HelperProcess(["append", path, "grow", "1000000", "buffered"])
            defer { helper.kill() }
            #expect(helper.waitFor("ready"))
            for round in 0..<200 {
                do {
                    // A map no larger than the data: the writer's next pages fall outside it at once.
                    var configuration = EventLogConfiguration(access: round % 2 == 0 ? .readOnly : .readWrite, durability: .buffered)
                    configuration.initialMapSize = 64 << 10
                    let log = try EventLog(path: path, configuration: configuration)
                    _ = try log.lastPosition()
                    log.close()
                } catch {
                    Issue.record("open \(round): \(error)")
                }
            }
        }
    }

    @Test("a damaged time field is written, never a trap: years beyond 0 to 9999 in ISO 8601's expanded form")
    func extremeTimes() {
        #expect(Timestamp(microseconds: 0).description == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microseconds: -1).description == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(microseconds: -62_167_219_200_000_001).description == "-000001-12-31T23:59:59.999999Z")
        #expect(Timestamp(microseconds: 253_402_300_800_000_000).description == "+010000-01-01T00:00:00.000000Z")
        #expect(!Timestamp(microseconds: .max).description.isEmpty)
        #expect(!Timestamp(microseconds: .min).description.isEmpty)
    }
}
