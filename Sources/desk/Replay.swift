import ArgumentParser
import EventLog
import Projections

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Replay into every standard projection and summarise queues, KPIs and problem areas as of a point.")

    @OptionGroup var options: LedgerOptions
    @OptionGroup var snapshots: SnapshotFlags

    @Option(help: ArgumentHelp("Stop as of this moment (ISO 8601).", valueName: "time"))
    var until: TimeArgument?

    @Option(help: "Stop after this position.")
    var position: UInt64?

    @Flag(help: "Print one JSON document.")
    var json = false

    func validate() throws {
        if until != nil, position != nil { throw ValidationError("give --until or --position, not both") }
    }

    struct Output: Encodable {
        var position: UInt64
        var lastEventAt: Timestamp?
        var open: Int
        var metrics: KPIValues
        var topProblemAreas: [ProblemAreaReport.Area]
        var emerging: [ProblemAreaReport.Emerging]
    }

    /// What the command replays into.
    func projections() -> [any Projection] {
        var projection = ProjectionOptions(asOf: until?.timestamp, asOfPosition: position)
        projection.problemAreas = ProblemAreaOptions(dimension: .ci)
        return [DeskProjector(options: projection)]
    }

    func run() throws {
        let log = try openForProjection(options, snapshots)
        defer { log.close() }
        let projector: DeskProjector = try project(log, projections(), snapshots: snapshots.useSnapshots).take(0)
        let queues = projector.queues()
        let metrics = projector.metrics()
        let areas = projector.problemAreas()
        if json {
            printJSON(Output(
                position: projector.appliedPosition, lastEventAt: projector.lastEventTime, open: queues.open, metrics: metrics.total,
                topProblemAreas: Array(areas.areas.prefix(5)), emerging: areas.emerging))
            return
        }
        printSummary(projector)
    }
}
