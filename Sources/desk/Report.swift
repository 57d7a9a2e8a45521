import ArgumentParser
import EventLog
import Foundation
import LedgerIO
import Projections
import TicketLedger

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write one self-contained HTML page: KPIs, inflow, outflow and backlog over time, queues, Pareto and trends of problem areas with their tickets, SLA per priority against a target, satisfaction, the process (handovers, ping-pong, push to front, wait-user, conformance).")

    @OptionGroup var options: LedgerOptions
    @OptionGroup var snapshots: SnapshotFlags
    @OptionGroup var window: WindowOptions

    @Option(help: "The HTML file to write.")
    var output: String

    @Option(name: .customLong("by"), help: "The dimension of the problem areas and of push to front.")
    var dimension: AreaDimension = .ci

    @Option(help: "The period of the flows and trends: day, week or month (default: from the window's length: days up to 31 days, weeks up to two years, months beyond).")
    var period: Period?

    @Option(name: .customLong("sla-target"), help: ArgumentHelp("The SLA resolution compliance each priority should reach, in percent; priorities below it are flagged.", valueName: "percent"))
    var slaTarget: Double = 90

    @Option(help: ArgumentHelp("A signed checkpoint of the ledger (desk checkpoint), checked and named in the report's footer so that an auditor can tie the figures to it.", valueName: "file"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("With --checkpoint: the verifier key of its signer (NAME+HASH+KEY, or a file holding it).", valueName: "key"))
    var key: String?

    var by: Grouping { dimension.grouping }

    func validate() throws {
        guard (0...100).contains(slaTarget) else { throw ValidationError("--sla-target must be from 0 to 100, not \(slaTarget)") }
        if checkpoint != nil, key == nil { throw ValidationError("--checkpoint needs --key, the verifier key of the checkpoint's signer") }
        if key != nil, checkpoint == nil { throw ValidationError("--key is for --checkpoint") }
    }

    func run() throws {
        let log = try openForProjection(options, snapshots)
        defer { log.close() }
        // A checkpoint that does not match the ledger is an error: the figures would not be the ones it vouches for.
        var vouched: String?
        if let checkpoint, let key {
            let verifier = try verifierKey(key)
            let signed = try signedCheckpoint(checkpoint, verifier: verifier)
            if let problem = try log.mismatch(with: signed) { throw DeskFailure("\(checkpoint): \(problem)") }
            vouched = "the signed checkpoint \(URL(fileURLWithPath: checkpoint).lastPathComponent) (\(signed.origin), signed by \(verifier.name)) covers its first \(signed.size) records, root \(signed.root.map { String(format: "%02x", $0) }.joined())"
        }
        let span = try Self.span(of: log, from: window.from?.timestamp, to: window.to?.timestamp)
        let period = self.period ?? Self.period(first: span.first, last: span.last)
        // One pass: grouped by priority for the SLA chart; the totals do not depend on the grouping.
        var projection = ProjectionOptions(from: window.from?.timestamp, asOf: window.to?.timestamp, groupBy: .priority)
        projection.period = period
        projection.problemAreas = ProblemAreaOptions(dimension: by, period: period)
        projection.slaBreachMap = true
        // The process analysis and the Pareto bars' tickets ride on the same pass.
        let flowOptions = FlowOptions(from: window.from?.timestamp, asOf: window.to?.timestamp, dimension: by)
        // The window just before, as long, for the tiles' change (only when the window has a start).
        let previousWindow = Self.previousWindow(from: window.from?.timestamp, last: span.last)
        let projections = try project(
            log,
            [DeskProjector(options: projection), FlowAnalyzer(options: flowOptions), HTMLReport.DrillDown(dimension: by, options: projection)]
                + (previousWindow.map { [DeskProjector(options: $0)] } ?? []),
            snapshots: snapshots.useSnapshots)
        let projector: DeskProjector = try projections.take(0)
        let flow: FlowAnalyzer = try projections.take(1)
        let drillDown: HTMLReport.DrillDown = try projections.take(2)
        let previous: DeskProjector? = previousWindow == nil ? nil : try projections.take(3)
        let metrics = projector.metrics()
        let personalData = try options.personalDataForReading(log)
        let areas = projector.problemAreas().revealed(by: personalData)
        let queues = projector.queues().revealed(by: personalData)
        // The tickets a click lists (Pareto bars, queues, heatmap cells), each read once.
        let areaLists = drillDown.lists(areas: areas.areas.prefix(15).map(\.key))
        let queueLists = HTMLReport.DrillDown.lists(queues: queues)
        let breachMap = projector.slaBreachMap()
        let listed = (Array(areaLists.values) + Array(queueLists.values)).flatMap(\.numbers) + breachMap.flatMap(\.tickets)
        let rows = try HTMLReport.DrillDown.rows(listed, log: log, asOf: projector.position, now: metrics.to, personalData: personalData)
        let head = projector.position == 0 ? ChainHead.empty
            : ChainHead(position: projector.position, hash: try log.event(at: projector.position)?.hash ?? ChainHead.empty.hash)
        let html = HTMLReport.render(HTMLReport.Input(
            deskName: try Desk(log: log).deskDescription()?.name ?? log.name, metrics: metrics, queues: queues, areas: areas,
            flow: flow.report(), slaTarget: slaTarget / 100, computedAt: head,
            areaTickets: areaLists, queueTickets: queueLists, tickets: rows,
            previous: previous?.metrics().total, breachMap: breachMap, checkpoint: vouched))
        try html.write(toFile: output, atomically: true, encoding: .utf8)
        print("wrote \(output)")
    }

    /// The window's ends: `--from` and `--to`, or else the ledger's first desk
    /// event (not the desk's metadata: `desk init` stamps the present) and its last event.
    static func span(of log: any EventStore, from: Timestamp?, to: Timestamp?) throws -> (first: Timestamp?, last: Timestamp?) {
        var first = from
        if first == nil {
            for event in try log.read(from: 1, limit: 16) where event.streamID != Desk.metadataStream {
                first = event.event.occurredAt
                break
            }
        }
        return (first, try to ?? log.event(at: log.lastPosition())?.event.occurredAt)
    }

    /// The window as long as `from`…`last` that ends where it starts (nil when the window has no start).
    static func previousWindow(from: Timestamp?, last: Timestamp?) -> ProjectionOptions? {
        guard let from, let last, last > from else { return nil }
        let length = last.microseconds - from.microseconds
        return ProjectionOptions(from: Timestamp(microseconds: from.microseconds - length), asOf: Timestamp(microseconds: from.microseconds - 1))
    }

    /// The period that suits a window this long: days up to 31 days, weeks up to two years, months beyond.
    static func period(first: Timestamp?, last: Timestamp?) -> Period {
        guard let first, let last else { return .week }
        let days = Double(last.microseconds - first.microseconds) / 86_400_000_000
        return days <= 31 ? .day : days <= 730 ? .week : .month
    }
}
