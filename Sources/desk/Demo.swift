import ArgumentParser
import EventLog
import Foundation
#if PostgreSQL
import PostgresEventLog
#endif
import Projections
import TicketLedger

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill a ledger with a simulated desk (if it is empty), verify it, and show queues, KPIs and problem areas.")

    @OptionGroup var options: LedgerOptions

    @Option(help: "Tickets to simulate when the ledger is empty.")
    var tickets = 5_000

    @Option(help: "Days the simulated traffic spans.")
    var days = 120

    func validate() throws {
        try validateSimulation(tickets: tickets, days: days)
    }

    func run() throws {
        let path = try options.path(default: "ledger-demo")
        let empty = try openLedger(path, access: .readWrite).withClosing { try $0.lastPosition() == 0 }
        if empty {
            print("Simulating \(tickets) tickets over \(days) days into \(path) ...")
            let outcome = try simulate(DeskSimulator.Configuration(seed: 1, tickets: tickets, days: days), into: path, options: options)
            print("\(outcome.events) events appended; the simulator planted:")
            for area in outcome.planted { print("  - \(area.description)") }
            print()
        }
        let log = try openLedger(path, access: .readOnly)
        defer { log.close() }
        let report = try log.verify()
        print("Chain: \(report.isValid ? "valid" : "INVALID at position \(report.firstBadPosition ?? 0)"), \(report.eventsChecked) events, head \(report.head.hashHex.prefix(16))...\n")
        var projection = ProjectionOptions()
        projection.problemAreas = ProblemAreaOptions(dimension: .ci)
        // The demo's ledger is opened read-only: a full replay, no snapshot.
        let projections = try project(log, [DeskProjector(options: projection), FlowAnalyzer()], snapshots: false)
        let projector: DeskProjector = try projections.take(0)
        let flow: FlowAnalyzer = try projections.take(1)
        printSummary(projector)
        let process = flow.report()
        let pairs = process.handovers.groupPingPong.filter(\.flagged).map { "\($0.a) ↔ \($0.b) (\($0.returns) of \($0.handovers) handovers sent straight back)" }
        let waits = process.waitUserAgents.filter(\.flagged).map { "\($0.key) (\(percent($0.share)) of \($0.tickets) tickets)" }
        print("\nProcess: \(percent(process.conformance.rate)) of ended tickets follow the reference process; \(percent(process.pushToFront?.total.firstLineShare)) solved on the first line")
        print("Ping-pong flagged: \(pairs.isEmpty ? "none" : pairs.joined(separator: "; "))")
        print("Wait-user flagged: \(waits.isEmpty ? "none" : waits.joined(separator: "; "))")
        print("\nTry: desk problems --ledger \(path) --by service   ·   desk flow --ledger \(path)   ·   desk metrics --ledger \(path) --by line   ·   desk history --ledger \(path) INC-000042")
        if !report.isValid { throw ExitCode(1) }
    }
}

extension EventStore {
    /// Runs `body` and closes the log.
    func withClosing<T>(_ body: (Self) throws -> T) throws -> T {
        defer { close() }
        return try body(self)
    }
}

/// Runs the simulator into the ledger at `location`: an LMDB ledger with the
/// simulated clock as `recordedAt` (byte-identical for a seed), a PostgreSQL
/// one with the server's clock (its `recordedAt` is when the rows were written).
func simulate(
    _ configuration: DeskSimulator.Configuration, into location: String, options: LedgerOptions, inClear: Bool = false
) throws -> DeskSimulator.Outcome {
    let simulator = DeskSimulator(configuration: configuration)
    let progress = Progress(label: "generating")
    defer { progress.finish() }
    let report = { (done: Int, total: Int) in progress.update(UInt64(done), of: UInt64(total)) }
    guard LedgerLocation.isPostgresURL(location) else {
        let personalData = try openLedger(location, access: .readWrite).withClosing { try options.personalDataForWriting($0, inClear: inClear) }
        return try simulator.generate(at: location, personalData: personalData, progress: report)
    }
    #if PostgreSQL
    let log = try PostgresEventLog(url: location)
    defer { log.close() }
    return try simulator.run(into: log, personalData: try options.personalDataForWriting(log, inClear: inClear), progress: report)
    #else
    throw builtWithoutPostgreSQL(location)
    #endif
}

/// Queues, KPIs and problem areas as `desk replay` and `desk demo` print them.
func printSummary(_ projector: DeskProjector) {
    let queues = projector.queues()
    let metrics = projector.metrics()
    let areas = projector.problemAreas()
    print("Replayed to position \(projector.appliedPosition) (last event \(projector.lastEventTime?.description ?? "-"))\n")
    print("Queues: \(queues.open) open, \(queues.unassigned.count) unassigned")
    print(queueTable(queues.byLine, title: "line"))
    print("\nKPIs:")
    print(kpiTable([metrics.total]))
    print("\nTop problem areas by configuration item:")
    var table = Table("ci", "incidents", "share", "escalated", "SLA breaches", "problem record")
    for area in areas.areas.prefix(5) {
        table.add(area.key, String(area.incidents), percent(area.share), percent(area.escalationRate), String(area.slaBreaches), area.coveredByProblem ? "yes" : "no")
    }
    print(table.render())
    let rising = Set(areas.emerging.map(\.key)).sorted()
    print("\nEmerging rises: \(rising.isEmpty ? "none" : rising.joined(separator: ", "))")
    print("Candidate problems: \(areas.candidates.prefix(5).map { "\($0.key) (\($0.reasons.joined(separator: ", ")))" }.joined(separator: "; "))")
}
