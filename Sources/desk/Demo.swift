import ArgumentParser
import EventLog

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append a sample of service-desk events to a ledger, read them back and verify the chain.")

    @OptionGroup var options: LedgerOptions

    @Option(help: "How many tickets to register.")
    var tickets = 1000

    func run() throws {
        let path = try options.path(default: "ledger-demo")
        let log = try EventLog(path: path)
        defer { log.close() }
        let before = try log.lastPosition()
        let start = Timestamp.now()
        let lifecycle = ["TicketRegistered", "TicketAssigned", "WorkStarted", "TicketResolved", "TicketClosed"]
        var appended = 0
        for ticket in 0..<tickets {
            let stream = "demo-\(before)-\(ticket)"
            let events = lifecycle.enumerated().map { step, type in
                ProposedEvent(
                    type: type,
                    occurredAt: Timestamp(microseconds: start.microseconds + Int64(ticket * 60 + step * 600) * 1_000_000),
                    actor: ActorRef(step == 0 ? .caller : .agent, step == 0 ? "caller-\(ticket % 97)" : "agent-\(ticket % 12)"),
                    payload: Array("{\"ticket\":\(ticket),\"step\":\"\(type)\"}".utf8))
            }
            let result = try log.append(events, to: stream, expecting: .noStream)
            appended += result.positions.count
        }
        let sample = try log.readStream("demo-\(before)-0")
        print("Ledger: \(path)")
        print("Appended \(appended) events for \(tickets) tickets (positions \(before + 1)...\(before + UInt64(appended))).")
        print("First ticket's history:")
        for event in sample {
            print("  #\(event.position)  v\(event.streamVersion)  \(event.event.occurredAt)  \(event.type)  by \(event.event.actor)")
        }
        let report = try log.verify()
        print("Chain verified: \(report.isValid ? "valid" : "INVALID at \(report.firstBadPosition ?? 0)"), \(report.eventsChecked) events, head \(report.head.hashHex)")
        if !report.isValid { throw ExitCode(1) }
    }
}
