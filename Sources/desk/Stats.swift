import ArgumentParser
import EventLog
import Foundation
import TicketLedger

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Events, tickets, problems, time span, last position, chain head and size of a ledger.")

    @OptionGroup var options: LedgerOptions

    @Flag(help: "Print one JSON document.")
    var json = false

    struct Output: Encodable {
        var events: UInt64
        var tickets: Int
        var problems: Int
        var firstEventAt: Timestamp?
        var lastEventAt: Timestamp?
        var lastPosition: UInt64
        var chainHead: String
        /// How many records the proof index covers: `lastPosition` unless the ledger predates it (`desk upgrade`).
        var proofIndexRecords: UInt64
        var fileSizeBytes: Int64
        var bytesPerEvent: Double?
        /// The desk's name and model, and the TicketLedger version that created the ledger (`desk init`).
        var desk: DeskInfo?
    }

    struct DeskInfo: Encodable {
        var name: String
        var model: String
        /// Empty when the ledger was created before the version was recorded.
        var createdBy: String
    }

    func run() throws {
        let path = try options.path()
        let log = try openForReading(options)
        defer { log.close() }
        var streams = Set<String>()
        var first: Timestamp?
        var last: Timestamp?
        var events: UInt64 = 0
        let total = try log.lastPosition()
        let progress = Progress(label: "reading")
        defer { progress.finish() }
        try log.forEachRecord(from: 1) { record in
            events += 1
            let time = record.occurredAt
            first = min(first ?? time, time)
            last = max(last ?? time, time)
            if record.streamVersion == 1 { streams.insert(record.streamID) }
            if events & 0xFFFF == 0 { progress.update(events, of: total) }
        }
        let problems = streams.filter { $0.hasPrefix("PRB-") }.count
        let tickets = streams.filter { !$0.hasPrefix("PRB-") && !$0.hasPrefix("$") }.count
        let size = try log.storageBytes()
        let head = try log.head()
        let output = Output(
            events: events, tickets: tickets, problems: problems, firstEventAt: first, lastEventAt: last,
            lastPosition: head.position, chainHead: head.hashHex, proofIndexRecords: try log.proofIndexSize(), fileSizeBytes: size,
            bytesPerEvent: events == 0 ? nil : Double(size) / Double(events),
            desk: try Desk(log: log).deskDescription().map { DeskInfo(name: $0.name, model: "\($0.model)", createdBy: $0.createdBy) })
        if json {
            printJSON(output)
        } else {
            print("""
                Ledger:          \(path)
                Desk:            \(output.desk.map { "\($0.name) (\($0.model))" + ($0.createdBy.isEmpty ? "" : ", created by TicketLedger \($0.createdBy)") } ?? "-")
                Events:          \(events)
                Tickets:         \(tickets)
                Problems:        \(problems)
                First event:     \(first?.description ?? "-")
                Last event:      \(last?.description ?? "-")
                Last position:   \(head.position)
                Chain head:      \(head.hashHex)
                Proof index:     \(output.proofIndexRecords == head.position ? "complete" : "\(output.proofIndexRecords) of \(head.position) records (desk upgrade builds the rest; until then proofs read every record)")
                Storage:         \(size) bytes (\(output.bytesPerEvent.map { String(format: "%.0f", $0) } ?? "-") bytes per event)
                """)
        }
    }
}
