import ArgumentParser
import EventLog
import Foundation
import TicketLedger

struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The newest events; with --follow, new ones as they are appended (by any process).")

    @OptionGroup var options: LedgerOptions

    @Option(help: "How many of the newest events to show first.")
    var count = 20

    @Flag(help: "Keep printing new events until interrupted.")
    var follow = false

    func validate() throws {
        guard (0...1_000_000).contains(count) else { throw ValidationError("--count must be 0 to 1,000,000, not \(count)") }
    }

    func run() async throws {
        let log = try openForReading(options)
        defer { log.close() }
        let personalData = try options.personalDataForReading(log)
        let last = try log.lastPosition()
        let start = last > UInt64(count) ? last - UInt64(count) + 1 : 1
        for event in try log.read(from: start, limit: count) { show(event, personalData) }
        guard follow else { return }
        for try await event in log.subscribe(from: last + 1) { show(event, personalData) }
    }

    /// One line; a caller who acted is shown revealed (or erased).
    func show(_ event: RecordedEvent, _ personalData: PersonalData?) {
        let actor = personalData?.reveal(event.event.actor) ?? event.event.actor
        print("#\(event.position)  \(event.event.occurredAt.description.prefix(19))  \(event.streamID)  v\(event.streamVersion)  \(event.type)  \(actor)")
        fflush(nil)
    }
}
