import Foundation
import Testing
import TicketLedgerTesting

/// Damaged ledger files, as disks and careless copies make them: every command
/// ends with status 0 or 1 and says what it found, none dies by a signal or hangs.
///
/// `make test` tries 40 flipped bytes and 10 cuts; `make faults` 1,000 and 50
/// (TICKETLEDGER_CORRUPTION_FLIPS, TICKETLEDGER_CORRUPTION_CUTS).
@Suite("Damaged ledger files")
struct CorruptionTests {
    static let environment = ProcessInfo.processInfo.environment
    static let flips = Int(environment["TICKETLEDGER_CORRUPTION_FLIPS"] ?? "") ?? 40
    static let cuts = Int(environment["TICKETLEDGER_CORRUPTION_CUTS"] ?? "") ?? 10

    @Test("flipped bytes and cuts of data.mdb: verify, stats, replay and export exit 0 or 1 with a message, never by a signal")
    func damagedFiles() async throws {
        try await withTemporaryDirectory { path in
            let original = path + "/original"
            #expect(try desk("generate", "--ledger", original, "--tickets", "150", "--days", "10").status == 0)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: original + "/data.mdb"))
            let copy = path + "/copy"
            // A fixed sequence of offsets (xorshift), so a failure can be replayed.
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            func next() -> Int {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                return Int(state % UInt64(bytes.count))
            }
            var exits: [Int32: Int] = [:]
            for round in 0..<(Self.flips + Self.cuts) {
                let offset = next()
                var damaged = bytes
                let what: String
                if round < Self.flips {
                    damaged[offset] ^= 0xFF
                    what = "byte \(offset) flipped"
                } else {
                    damaged = damaged.prefix(offset)
                    what = "cut at \(offset) of \(bytes.count) bytes"
                }
                try? FileManager.default.removeItem(atPath: copy)
                try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
                try damaged.write(to: URL(fileURLWithPath: copy + "/data.mdb"))
                for command in [["verify"], ["stats"], ["replay"], ["export", "--format", "jsonl", "--output", path + "/export.jsonl"]] {
                    let run = try runProcess(builtExecutable("desk"), command + ["--ledger", copy], timeout: .seconds(60))
                    #expect(!run.timedOut, "\(what): desk \(command[0]) hung")
                    #expect(run.signal == nil, "\(what): desk \(command[0]) died by signal \(run.signal ?? 0): \(run.err)")
                    #expect(run.status == 0 || run.status == 1, "\(what): desk \(command[0]) exited \(run.status): \(run.err)")
                    if run.status == 1 { #expect(!run.err.isEmpty || run.out.contains("INVALID"), "\(what): desk \(command[0]) exited 1 without a word") }
                    exits[run.status, default: 0] += 1
                }
            }
            // Damage is found, not only survived.
            #expect((exits[1] ?? 0) > 0, "no damage was reported: \(exits)")
        }
    }
}
