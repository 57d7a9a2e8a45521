import ArgumentParser
import EventLog
import Foundation
import LedgerIO
import Projections

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write one self-contained HTML page: KPIs, queues, Pareto and trends of problem areas, SLA per priority, satisfaction, the process (handovers, ping-pong, push to front, wait-user, conformance).")

    @OptionGroup var options: LedgerOptions
    @OptionGroup var window: WindowOptions

    @Option(help: "The HTML file to write.")
    var output: String

    @Option(name: .customLong("by"), help: "The dimension of the problem areas and of push to front.")
    var dimension: AreaDimension = .ci

    var by: Grouping { dimension.grouping }

    func run() throws {
        let log = try openForReading(options)
        defer { log.close() }
        // One pass: grouped by priority for the SLA chart; the totals do not depend on the grouping.
        var projection = ProjectionOptions(from: window.from?.timestamp, asOf: window.to?.timestamp, groupBy: .priority)
        projection.problemAreas = ProblemAreaOptions(dimension: by)
        // The process analysis rides on the same pass.
        var flow = FlowAnalyzer(options: FlowOptions(from: window.from?.timestamp, asOf: window.to?.timestamp, dimension: by))
        let projector = try replay(log, options: projection, alongside: { try flow.apply($0) })
        let metrics = projector.metrics()
        let html = HTMLReport.render(HTMLReport.Input(
            title: "Service desk report: \(log.name)", metrics: metrics,
            byPriority: metrics, queues: projector.queues(), areas: projector.problemAreas(), flow: flow.report()))
        try html.write(toFile: output, atomically: true, encoding: .utf8)
        print("wrote \(output)")
    }
}
