import ArgumentParser
import EventLog
import Projections
import TicketLedger

struct Queues: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open tickets per line, group and agent, in working order.")

    @OptionGroup var options: LedgerOptions
    @OptionGroup var snapshots: SnapshotFlags

    @Option(help: "Only this line: first, second or specialist.")
    var line: SupportLine?

    @Option(help: "Only this group.")
    var group: String?

    @Option(name: .customLong("as-of"), help: ArgumentHelp("The moment (ISO 8601); default: the last event.", valueName: "time"))
    var asOf: TimeArgument?

    @Option(help: "Tickets to list per queue.")
    var limit = 5

    @Flag(help: "Print one JSON document.")
    var json = false

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be at least 0, not \(limit)") }
    }

    /// What the command replays into.
    func projections() -> [any Projection] {
        [DeskProjector(options: ProjectionOptions(asOf: asOf?.timestamp, groupBy: group == nil ? nil : .group))]
    }

    func run() throws {
        let log = try openForProjection(options, snapshots)
        defer { log.close() }
        // With --group, the KPIs grouped by group tell a group with no open ticket from one the ledger never had.
        let projector: DeskProjector = try project(log, projections(), snapshots: snapshots.useSnapshots).take(0)
        if let group {
            let known = projector.metrics().groups.compactMap(\.key).filter { $0 != "(none)" }
            guard known.contains(group) else {
                throw DeskFailure("no group \(group) in this ledger; its groups: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
            }
        }
        let report = projector.queues(line: line, group: group).revealed(by: try options.personalDataForReading(log))
        if json {
            printJSON(report)
            return
        }
        print("Queues as of \(report.asOf): \(report.open) open, \(report.unassigned.count) unassigned\n")
        print(queueTable(report.byLine, title: "line"))
        print()
        print(queueTable(report.byGroup, title: "group"))
        for queue in report.byGroup {
            print("\n\(queue.key):")
            var table = Table("ticket", "priority", "status", "agent", "age", "resolution due", "title")
            for entry in queue.tickets.prefix(limit) {
                table.add(entry.number, String(entry.priority), entry.status.description, entry.agent ?? "-", duration(Double(entry.ageSeconds)),
                          entry.resolutionDue.map { String($0.description.prefix(16)) } ?? "-", entry.title)
            }
            print(table.render())
        }
    }
}

func queueTable(_ queues: [Queue], title: String) -> String {
    var table = Table(title, "open", "oldest")
    for queue in queues { table.add(queue.key, String(queue.count), duration(Double(queue.oldestAgeSeconds))) }
    return table.render()
}
