import ArgumentParser
import EventLog
import Projections

struct Problems: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "ITIL problem-area analysis: Pareto, trends and emerging rises, repeats, MTBF/MTRS, hot spots, candidate problems, and the process flags of desk flow.")

    @OptionGroup var options: LedgerOptions
    @OptionGroup var snapshots: SnapshotFlags
    @OptionGroup var window: WindowOptions

    @Option(name: .customLong("by"), help: "The dimension (group: the group that first held the incident).")
    var dimension: AreaDimension = .ci

    var by: Grouping { dimension.grouping }

    @Option(help: "Areas to show.")
    var top = 10

    @Option(help: "The trend period: day, week or month.")
    var period: Period = .week

    @Flag(help: "Print one JSON document.")
    var json = false

    func validate() throws {
        guard top > 0 else { throw ValidationError("--top must be at least 1") }
    }

    /// What the command replays into: the problem areas and, on the same pass,
    /// the process analysis of the same window (its flags are problem areas of the process).
    func projections() -> [any Projection] {
        var projection = ProjectionOptions(from: window.from?.timestamp, asOf: window.to?.timestamp)
        projection.problemAreas = ProblemAreaOptions(dimension: by, period: period)
        return [DeskProjector(options: projection), FlowAnalyzer(options: FlowOptions(from: window.from?.timestamp, asOf: window.to?.timestamp, dimension: by, period: period))]
    }

    func run() throws {
        let log = try openForProjection(options, snapshots)
        defer { log.close() }
        let projections = try project(log, projections(), snapshots: snapshots.useSnapshots)
        let flow: FlowAnalyzer = try projections.take(1)
        var report = try projections.take(0, as: DeskProjector.self).problemAreas().revealed(by: try options.personalDataForReading(log))
        report.areas = Array(report.areas.prefix(top))
        let process = flow.report()
        let pairs = process.handovers.groupPingPong.filter(\.flagged)
        let waits = process.waitUserAgents.filter(\.flagged)
        if json {
            printJSON(Output(report: report, flaggedPingPong: pairs, flaggedWaitUser: waits))
            return
        }
        print("Problem areas by \(by.rawValue), \(report.from?.description ?? "first event") to \(report.to): \(report.incidents) incidents\n")
        var pareto = Table(by.rawValue, "incidents", "share", "cumulative", "80 %", "escalated", "SLA breaches", "repeats", "MTBF", "MTRS", "problem", "trend (last 8)")
        for area in report.areas {
            pareto.add(
                area.key, String(area.incidents), percent(area.share), percent(area.cumulativeShare), area.pareto ? "*" : "",
                percent(area.escalationRate), String(area.slaBreaches), String(area.repeatIncidents), duration(area.mtbfSeconds),
                duration(area.mtrsSeconds), area.coveredByProblem ? "yes" : "no",
                area.trend.suffix(8).map { "\($0.incidents)\($0.emerging ? "!" : "")" }.joined(separator: " "))
        }
        print(pareto.render())
        print("\nEmerging rises (\(report.test)):")
        if report.emerging.isEmpty { print("  none") }
        for rise in report.emerging.prefix(top) {
            print("  \(rise.key): \(rise.incidents) incidents in the \(period.rawValue) from \(rise.periodStart.description.prefix(10)) (baseline \(String(format: "%.1f", rise.baseline)), p = \(String(format: "%.1e", rise.pValue)))")
        }
        print("\nRepeat callers (same caller and category within 7 days):")
        for repeated in report.repeatCallers.prefix(5) { print("  \(repeated.key): \(repeated.repeatIncidents) repeats") }
        print("\nEscalation hot spots (tickets leaving the first line):")
        for spot in report.escalationHotSpots.prefix(5) { print("  \(spot.key): \(percent(spot.rate)) of \(spot.incidents)") }
        print("\nSLA-breach hot spots:")
        for spot in report.slaBreachHotSpots.prefix(5) { print("  \(spot.key): \(spot.count) breaches in \(spot.incidents) incidents") }
        print("\nCandidate problems (no problem record yet):")
        if report.candidates.isEmpty { print("  none") }
        for candidate in report.candidates.prefix(top) { print("  \(candidate.key): \(candidate.reasons.joined(separator: ", "))") }
        print("\nProcess flags (desk flow; one-sided binomial tests against the desk's own rates, p < \(FlowOptions().flagPValue)):")
        if pairs.isEmpty && waits.isEmpty { print("  nothing flagged") }
        for pair in pairs { print("  ping-pong \(pair.a) ↔ \(pair.b): \(pair.returns) of \(pair.handovers) handovers sent straight back (p = \(String(format: "%.1e", pair.pValue)))") }
        for wait in waits { print("  wait-user \(wait.key): \(percent(wait.share)) of \(wait.tickets) tickets suspended awaiting the caller (p = \(String(format: "%.1e", wait.pValue)))") }
    }

    /// The problem-area report's keys, and the process flags of the same window.
    struct Output: Encodable {
        let report: ProblemAreaReport
        let flaggedPingPong: [FlowReport.PingPong]
        let flaggedWaitUser: [FlowReport.WaitUser]
        enum Keys: String, CodingKey { case flaggedPingPong, flaggedWaitUser }
        func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(flaggedPingPong, forKey: .flaggedPingPong)
            try c.encode(flaggedWaitUser, forKey: .flaggedWaitUser)
        }
    }
}
