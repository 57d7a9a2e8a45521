import ArgumentParser
import EventLog
import Foundation

struct Upgrade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Give a ledger written by an earlier version what this version keeps beside its records (the proof index).",
        discussion: """
            A ledger written before 0.3 has no proof index: its checkpoints and proofs are then computed by a pass over \
            every record. Any command that opens the ledger for writing builds the index first; this one does only that, \
            and says how long it took. Record bytes and the hash chain are not changed.
            """)

    @OptionGroup var options: LedgerOptions

    func run() throws {
        let before: UInt64
        do {
            let log = try openForReading(options)
            defer { log.close() }
            before = try log.proofIndexSize()
        }
        let started = ContinuousClock.now
        let log = try options.open(.readWrite)
        defer { log.close() }
        let indexed = try log.proofIndexSize()
        let last = try log.lastPosition()
        guard indexed == last else {
            throw DeskFailure("the proof index of \(log.location) covers \(indexed) of its \(last) records after the upgrade")
        }
        if before == indexed {
            print("proof index: complete, \(indexed) records; nothing to do")
        } else {
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("proof index: built for \(indexed - before) records in \(String(format: "%.1f", seconds)) s; it covers all \(indexed)")
        }
    }
}
