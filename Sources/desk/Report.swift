import ArgumentParser
import EventLog
import Foundation
import LedgerIO
import Projections

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write one self-contained HTML page: KPIs, queues, Pareto and trends of problem areas, SLA per priority, satisfaction.")

    @OptionGroup var options: LedgerOptions
    @OptionGroup var window: WindowOptions

    @Option(help: "The HTML file to write.")
    var output: String

    @Option(help: "The dimension of the problem areas: ci, service, category, product or client.")
    var by: Grouping = .ci

    func run() throws {
        let log = try openForReading(options)
        defer { log.close() }
        var projection = ProjectionOptions(from: window.from?.timestamp, asOf: window.to?.timestamp)
        projection.problemAreas = ProblemAreaOptions(dimension: by)
        let projector = try replay(log, options: projection)
        var byPriority = projection
        byPriority.groupBy = .priority
        byPriority.problemAreas = nil
        let priorities = try ProjectionEngine.replay(log, options: byPriority).metrics()
        let html = HTMLReport.render(HTMLReport.Input(
            title: "Service desk report: \(URL(fileURLWithPath: try options.path()).lastPathComponent)", metrics: projector.metrics(),
            byPriority: priorities, queues: projector.queues(), areas: projector.problemAreas()))
        try html.write(toFile: output, atomically: true, encoding: .utf8)
        print("wrote \(output)")
    }
}
