import ArgumentParser
import EventLog
import Foundation
import Projections

struct Flow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The desk's process: directly-follows graph, variants, rework, handovers and ping-pong, push to front, wait-user, conformance.",
        discussion: "The window is a cohort: the tickets whose first event lies in it, with their events up to --to. The Projections article \"Process analysis\" (Sources/Projections/Projections.docc/ProcessAnalysis.md) defines every figure.")

    @OptionGroup var options: LedgerOptions
    @OptionGroup var window: WindowOptions

    @Option(help: "Stop after this ledger position (as of a position; --to is as of a moment).")
    var position: UInt64?

    @Option(help: "Push to front by: service, category, product, ci, client, channel, priority or group.")
    var by: Grouping = .service

    @Option(help: "The period of the push-to-front trend: day, week or month.")
    var period: Period = .week

    @Option(help: "Variants to list, most frequent first (0: all of them).")
    var variants = 10

    @Option(help: "Rows of each table in the text output.")
    var top = 10

    @Flag(help: "Print one JSON document (every edge, activity and pair; --variants applies).")
    var json = false

    func validate() throws {
        guard variants >= 0 else { throw ValidationError("--variants must be 0 (all) or more, not \(variants)") }
        guard top > 0 else { throw ValidationError("--top must be at least 1, not \(top)") }
        guard position.map({ $0 > 0 }) ?? true else { throw ValidationError("--position must be at least 1") }
    }

    func run() throws {
        let log = try openForReading(options)
        defer { log.close() }
        var flowOptions = FlowOptions(from: window.from?.timestamp, asOf: window.to?.timestamp, asOfPosition: position, dimension: by, period: period)
        flowOptions.variants = variants
        let total = try log.lastPosition()
        let progress = Progress(label: "replaying")
        let report = try FlowAnalysis.run(log, options: flowOptions) { progress.update($0, of: total) }
        progress.finish()
        if json {
            printJSON(report)
            return
        }
        print("Process of \(report.tickets) tickets (\(report.events) events), \(report.from?.description ?? "first event") to \(report.to?.description ?? "last event")\n")
        var edges = Table("from", "to", "count", "median wait", "p90 wait")
        for edge in report.edges.prefix(top) { edges.add(edge.from, edge.to, String(edge.count), duration(edge.medianSeconds), duration(edge.p90Seconds)) }
        print("Directly-follows graph (\(report.edges.count) edges, the most frequent):\n" + edges.render())
        print("\nStart: " + report.startActivities.prefix(top).map { "\($0.name) \($0.count)" }.joined(separator: ", "))
        print("End: " + report.endActivities.prefix(top).map { "\($0.name) \($0.count)" }.joined(separator: ", "))
        print("\nVariants: \(report.variantCount)")
        for variant in report.variants.prefix(top) {
            print("  \(String(format: "%5.1f %%", variant.share * 100)) \(variant.count): " + variant.activities.joined(separator: " → "))
        }
        print("\nRework (an activity repeated within a ticket): \(percent(report.reworkRate)) of tickets")
        for activity in report.activities.filter({ $0.reworkTickets > 0 }).sorted(by: { $0.reworkTickets > $1.reworkTickets }).prefix(5) {
            print("  \(activity.name): \(activity.reworkTickets) tickets")
        }
        let h = report.handovers
        var handovers = Table("from", "to", "count", "median before")
        for handover in h.groups.prefix(top) { handovers.add(handover.from, handover.to, String(handover.count), duration(handover.medianSecondsBefore)) }
        print("\nHandovers between groups:\n" + (h.groups.isEmpty ? "  none recorded" : handovers.render()))
        var lines = Table("from", "to", "count", "median before")
        for handover in h.lines { lines.add(handover.from, handover.to, String(handover.count), duration(handover.medianSecondsBefore)) }
        print("\nHandovers between lines:\n" + (h.lines.isEmpty ? "  none recorded" : lines.render()))
        print("\nPing-pong: \(h.pingPongTickets) tickets (\(percent(h.pingPongRate))) returned to a group they had left; the desk sends \(percent(h.returnRate)) of handovers straight back")
        var pairs = Table("group", "and group", "tickets", "handovers", "returns", "rate", "later returns", "p", "flag")
        for pair in h.groupPingPong.prefix(top) {
            pairs.add(pair.a, pair.b, String(pair.tickets), String(pair.handovers), String(pair.returns), percent(pair.rate), String(pair.laterReturns), String(format: "%.1e", pair.pValue), pair.flagged ? "!" : "")
        }
        print(h.groupPingPong.isEmpty ? "  no ticket returned to a group it had left" : pairs.render())
        var buckets = Table("handovers", "tickets", "resolved", "resolve median", "resolve p90")
        for bucket in h.byHandoverCount { buckets.add("\(bucket.handovers)\(bucket.orMore ? "+" : "")", String(bucket.tickets), String(bucket.resolved), duration(bucket.medianResolveSeconds), duration(bucket.p90ResolveSeconds)) }
        print("\nResolution time by handovers:\n" + buckets.render())
        if let front = report.pushToFront {
            var table = Table(front.dimension.rawValue, "tickets", "resolved", "first line", "2nd line held", "specialists held")
            for share in [front.total] + front.byKey.prefix(top) {
                table.add(share.key, String(share.tickets), String(share.resolved), percent(share.firstLineShare), percent(share.secondLineShare), percent(share.specialistShare))
            }
            print("\nPush to front (resolved without leaving the first line):\n" + table.render())
            print("Trend per \(front.period.rawValue) (last 8, the last may be partial): " + front.trend.suffix(8).map { percent($0.firstLineShare) }.joined(separator: " "))
        }
        var waits = Table("agent", "line", "tickets", "wait-user", "share", "time share", "near SLA due", "p", "flag")
        for agent in report.waitUserAgents.prefix(top) {
            waits.add(agent.key, agent.line ?? "-", String(agent.tickets), String(agent.waitTickets), percent(agent.share), percent(agent.timeShare), String(agent.nearSLADue), String(format: "%.1e", agent.pValue), agent.flagged ? "!" : "")
        }
        print("\nWait-user (suspended awaiting the caller), by agent:\n" + (report.waitUserAgents.isEmpty ? "  no agent recorded" : waits.render()))
        let c = report.conformance
        print("\nConformance: \(c.conforming) of \(c.judged) ended tickets (\(percent(c.rate))) follow the reference process; \(c.open) still open, not judged")
        for deviation in c.deviations.prefix(top) { print("  \(deviation.deviation): \(deviation.tickets)") }
        for note in report.notes { print("note: \(note)") }
        print("test: \(report.test)")
    }
}
