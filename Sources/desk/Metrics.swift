import ArgumentParser
import EventLog
import Projections

/// Options shared by the commands that replay into projections.
struct WindowOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The window's start (ISO 8601, e.g. 2024-03-01 or 2024-03-01T08:00:00Z).", valueName: "time"))
    var from: TimeArgument?

    @Option(help: ArgumentHelp("The window's end and the as-of moment (ISO 8601).", valueName: "time"))
    var to: TimeArgument?

    func validate() throws {
        if let from = from?.timestamp, let to = to?.timestamp, from > to {
            throw ValidationError("--from (\(from)) is after --to (\(to))")
        }
    }
}

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Service-desk KPIs over a window, in total or grouped (docs/KPIS.md defines them).")

    @OptionGroup var options: LedgerOptions
    @OptionGroup var snapshots: SnapshotFlags
    @OptionGroup var window: WindowOptions

    @Option(help: "Group by line, group, agent, channel, category, service, ci, client, priority or product.")
    var by: Grouping?

    @Option(help: "The period of inflow and outflow: day, week or month.")
    var period: Period = .week

    @Flag(help: "Print one JSON document.")
    var json = false

    /// The totals' keys at the top level, then `groups` and the flows.
    struct Output: Encodable {
        let report: MetricsReport
        enum Keys: String, CodingKey { case from, to, by, groups, period, flows, notes }
        func encode(to encoder: any Encoder) throws {
            try report.total.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(report.from, forKey: .from)
            try c.encode(report.to, forKey: .to)
            try c.encode(report.groupBy?.rawValue, forKey: .by)
            if report.groupBy != nil { try c.encode(report.groups, forKey: .groups) }
            try c.encode(report.period, forKey: .period)
            try c.encode(report.flows, forKey: .flows)
            try c.encode(report.notes, forKey: .notes)
        }
    }

    /// What the command replays into.
    func projections() -> [any Projection] {
        [DeskProjector(options: ProjectionOptions(from: window.from?.timestamp, asOf: window.to?.timestamp, groupBy: by, period: period))]
    }

    func run() throws {
        let log = try openForProjection(options, snapshots)
        defer { log.close() }
        let report = try project(log, projections(), snapshots: snapshots.useSnapshots).take(0, as: DeskProjector.self).metrics()
        if json {
            printJSON(Output(report: report))
            return
        }
        print("KPIs from \(report.from?.description ?? "the first event") to \(report.to)\n")
        print(kpiTable([report.total] + report.groups))
        if let recorded = report.total.recordedSLAComplianceRate {
            print("SLA compliance recorded by the source system (sla.made): \(percent(recorded))")
        }
        for note in report.notes { print("note: \(note)") }
        print("\nInflow / outflow per \(period.rawValue):")
        var flows = Table("\(period.rawValue) from", "in", "out")
        for flow in report.flows.suffix(12) { flows.add(String(flow.start.description.prefix(10)), String(flow.inflow), String(flow.outflow)) }
        print(flows.render())
    }
}

func kpiTable(_ rows: [KPIValues]) -> String {
    var table = Table("group", "registered", "resolved", "FCR", "first line", "escalated", "reopened", "resolve median", "resolve p90", "SLA resolution", "backlog", "satisfaction")
    for v in rows {
        table.add(
            v.key ?? "(all)", String(v.registered), String(v.resolved), percent(v.firstContactResolutionRate), percent(v.firstLineResolutionRate),
            percent(v.escalationRate), percent(v.reopenRate), duration(v.medianTimeToResolveSeconds), duration(v.p90TimeToResolveSeconds),
            percent(v.slaResolutionComplianceRate), String(v.backlog), number(v.satisfactionMean))
    }
    return table.render()
}
