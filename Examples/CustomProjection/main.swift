// An embedder's own projection beside the standard ones: open tickets per
// client with the age of the oldest, fed in the same pass as the desk's own
// projector and checkpointed in the ledger beside it, so that the next run
// starts from there instead of from the first event.
//
//   swift run custom-projection [LEDGER]     (without a ledger: a simulated one in a temporary folder)
//
// Run it twice on the same ledger: the second run says where it resumed.
import EventLog
import Foundation
import Projections
import TicketLedger

/// Open tickets per client, and when the oldest of them was registered.
struct OpenTicketsPerClient: Projection, Codable {
    static let name = "open-tickets-per-client"
    // Bump it when the state or the rules change: older snapshots are then ignored.
    static let version = 1
    // No options: every configuration is the same one.
    var configuration: String { "" }
    private(set) var position: UInt64 = 0
    /// The open tickets (status new, assigned, in progress or suspended), by number.
    private var open: [String: Ticket] = [:]
    /// Tickets seen that are not open (resolved, closed, ...), kept so that a reopening finds its ticket.
    private var notOpen: [String: Ticket] = [:]

    init() {}

    mutating func apply(_ record: RecordView) throws {
        position = record.position
        // Ledger metadata (`$desk`) and problem records are not tickets.
        guard let event = try TicketEventCodec.decode(record), !event.body.isLedgerMetadata else { return }
        switch event.body {
        case .problemOpened, .rootCauseFound, .knownErrorRecorded, .problemClosed: return
        default: break
        }
        let number = record.streamID
        var ticket = open.removeValue(forKey: number) ?? notOpen.removeValue(forKey: number) ?? Ticket(number: number, at: record.occurredAt)
        ticket.apply(event, occurredAt: record.occurredAt)
        if ticket.status.isOpen { open[number] = ticket } else if !ticket.status.isFinal { notOpen[number] = ticket }
    }

    /// Per client: its open tickets and the registration time of the oldest, most tickets first.
    func report() -> [(client: String, open: Int, oldest: Timestamp)] {
        var byClient: [String: (open: Int, oldest: Timestamp)] = [:]
        for ticket in open.values {
            let client = ticket.client.id.isEmpty ? "(none)" : ticket.client.id
            let entry = byClient[client] ?? (0, ticket.registeredAt)
            byClient[client] = (entry.open + 1, min(entry.oldest, ticket.registeredAt))
        }
        return byClient.map { ($0.key, $0.value.open, $0.value.oldest) }.sorted { ($1.open, $0.client) < ($0.open, $1.client) }
    }

    // Its snapshots: being Codable, sorted-key JSON of its state (the protocol's default).
}

var path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : ""
let simulated = path.isEmpty
if simulated {
    path = FileManager.default.temporaryDirectory.appendingPathComponent("custom-projection-\(getpid())").path
    _ = try DeskSimulator(configuration: DeskSimulator.Configuration(seed: 1, tickets: 2_000, days: 60)).generate(at: path)
    print("Simulated 2,000 tickets over 60 days")
}
let log: EventLog
do {
    var configuration = EventLogConfiguration()
    configuration.createIfMissing = false
    log = try EventLog(path: path, configuration: configuration)
} catch {
    FileHandle.standardError.write(Data("\(CommandLine.arguments[0]): \(path): \(error)\n".utf8))
    exit(1)
}
defer {
    log.close()
    if simulated { try? FileManager.default.removeItem(atPath: path) }
}

// The embedder's projection and the desk's own, each from its snapshot in the ledger if there is one.
var projections: [any Projection] = SnapshotStore.ledger.load([OpenTicketsPerClient(), DeskProjector()], log: log)
for projection in projections {
    print("\(type(of: projection).name): \(projection.position == 0 ? "from the first event" : "resumed from the snapshot at position \(projection.position)")")
}
// One pass feeds both, each from its own position.
try ProjectionEngine.catchUp(log, &projections)
for projection in projections { try SnapshotStore.ledger.save(projection, log: log) }

// The engine keeps each projection's type and order.
guard let perClient = projections[0] as? OpenTicketsPerClient, let desk = projections[1] as? DeskProjector else { exit(70) }
let rows = perClient.report()
print("\nOpen tickets per client at position \(perClient.position) (\(rows.reduce(0) { $0 + $1.open }) in all; the desk's queues say \(desk.queues().open)):")
let now = desk.lastEventTime ?? Timestamp.now()
for row in rows.prefix(10) {
    let days = Double(now.microseconds - row.oldest.microseconds) / 86_400e6
    print("  \(row.client.padding(toLength: 24, withPad: " ", startingAt: 0)) \(String(row.open).leftPadding(5))   oldest \(String(format: "%.1f", days)) days")
}

extension String {
    func leftPadding(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
