import EventLog
import LedgerBackendsTesting
import Foundation
import Testing
import TicketLedgerTesting

@Suite("Crashes")
struct CrashTests {
    @Test("SIGKILL while appending, 20 rounds: every acknowledged append survives and the chain holds", arguments: Backend.allCases)
    func killNine(backend: Backend) async throws {
        try await withFreshLedger(backend) { path in
            var generator = SystemRandomNumberGenerator()
            var acknowledged: [(position: UInt64, id: EventID)] = []
            for round in 0..<20 {
                let helper = try HelperProcess(["append", path, "round\(round)", "1000000", "durable"])
                #expect(helper.waitFor("ready"))
                // Let it append for a random while, then kill it mid-flight.
                try await Task.sleep(for: .milliseconds(Int.random(in: 20...120, using: &generator)))
                helper.kill()
                for line in helper.output where line.hasPrefix("ack ") {
                    let parts = line.split(separator: " ")
                    acknowledged.append((UInt64(parts[1])!, EventID(String(parts[2]))!))
                }
                let log = try openLedger(path)
                let report = try log.verify()
                #expect(report.isValid, "round \(round): \(report.problem ?? "")")
                var stored: [UInt64: EventID] = [:]
                try log.forEachRecord(from: 1) { stored[$0.position] = $0.id }
                for ack in acknowledged {
                    #expect(stored[ack.position] == ack.id, "round \(round): acknowledged position \(ack.position) lost")
                }
                log.close()
            }
            #expect(acknowledged.count > 20, "the helper should have acknowledged appends before the kills")
        }
    }
}
