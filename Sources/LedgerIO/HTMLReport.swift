import EventLog
import Foundation
public import Projections
import TicketLedger

/// One self-contained HTML page (no network, no script, inline SVG charts) with
/// the KPIs, the queues at the end of the window, the Pareto chart of problem
/// areas, the trend of the top areas with emerging rises marked, SLA compliance
/// per priority, satisfaction, and the process: push to front, handovers,
/// ping-pong, wait-user and conformance.
public enum HTMLReport {
    /// Everything the page shows, computed in one replay by the caller.
    public struct Input: Sendable {
        /// The page's title.
        public var title: String
        /// The KPIs of the window.
        public var metrics: MetricsReport
        /// The KPIs grouped by priority (the SLA chart).
        public var byPriority: MetricsReport
        /// The queues at the end of the window.
        public var queues: QueueReport
        /// The problem areas.
        public var areas: ProblemAreaReport
        /// The process analysis of the same window, if computed.
        public var flow: FlowReport?

        /// The page's parts.
        public init(title: String, metrics: MetricsReport, byPriority: MetricsReport, queues: QueueReport, areas: ProblemAreaReport, flow: FlowReport? = nil) {
            self.title = title
            self.metrics = metrics
            self.byPriority = byPriority
            self.queues = queues
            self.areas = areas
            self.flow = flow
        }
    }

    /// The page.
    public static func render(_ input: Input) -> String {
        let m = input.metrics.total
        let cards: [(String, String)] = [
            ("Registered", String(m.registered)), ("Resolved", String(m.resolved)),
            ("First-contact resolution", percent(m.firstContactResolutionRate)), ("First-line resolution", percent(m.firstLineResolutionRate)),
            ("Median time to resolve", hours(m.medianTimeToResolveSeconds)), ("90th percentile", hours(m.p90TimeToResolveSeconds)),
            ("SLA resolution compliance", percent(m.slaResolutionComplianceRate)), ("Reopen rate", percent(m.reopenRate)),
            ("Backlog", String(m.backlog)), ("Satisfaction", m.satisfactionMean.map { String(format: "%.2f / 5", $0) } ?? "–"),
        ]
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(input.title))</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
            h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px}
            .cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:150px}
            .card b{display:block;font-size:20px}.muted{color:#666}
            table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:3px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
            svg text{font:11px system-ui,sans-serif}
            </style></head><body>
            <h1>\(escape(input.title))</h1>
            <p class="muted">From \(input.metrics.from.map { $0.description.prefix(10) + "" } ?? "the first event") to \(input.metrics.to.description.prefix(16)) UTC. KPI definitions: docs/KPIS.md.</p>
            <h2>Service-desk KPIs</h2><div class="cards">
            """
        for (label, value) in cards { html += "<div class=\"card\"><span class=\"muted\">\(label)</span><b>\(value)</b></div>" }
        html += "</div>\n"
        if !input.metrics.notes.isEmpty {
            html += "<ul class=\"notes\">" + input.metrics.notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>\n"
        }
        html += "<h2>Queues at the end of the window</h2>\n<table><tr><th>line / group</th><th>open</th><th>oldest</th></tr>"
        for queue in input.queues.byLine + input.queues.byGroup {
            html += "<tr><td>\(escape(queue.key))</td><td>\(queue.count)</td><td>\(hours(Double(queue.oldestAgeSeconds)))</td></tr>"
        }
        html += "</table>\n<h2>Problem areas by \(input.areas.dimension.rawValue): Pareto</h2>\n" + pareto(input.areas)
        html += "\n<h2>Trend of the top areas per \(input.areas.period.rawValue) (red: emerging rise)</h2>\n" + trend(input.areas)
        html += "\n<h2>SLA resolution compliance per priority</h2>\n" + bars(
            id: "sla", input.byPriority.groups.map { ("P" + ($0.key ?? "?"), ($0.slaResolutionComplianceRate ?? 0) * 100) }, unit: "%", maximum: 100)
        html += "\n<h2>Satisfaction (scores 1 to 5)</h2>\n" + bars(
            id: "satisfaction", m.satisfactionDistribution.enumerated().map { (String($0.offset + 1), Double($0.element)) }, unit: "", maximum: nil)
        if let flow = input.flow { html += "\n" + process(flow) }
        html += "\n</body></html>\n"
        return html
    }

    static func pareto(_ areas: ProblemAreaReport) -> String {
        let top = Array(areas.areas.prefix(15))
        guard let largest = top.first?.incidents, largest > 0 else { return "<p id=\"pareto\">No incidents in the window.</p>" }
        let width = 900.0, height = 260.0, left = 50.0, bottom = 60.0
        let step = (width - left) / Double(top.count)
        var svg = "<svg id=\"pareto\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"Pareto of incidents\">"
        let plot = height - bottom - 10
        svg += "<line x1=\"\(left)\" y1=\"\(10 + plot * 0.2)\" x2=\"\(width)\" y2=\"\(10 + plot * 0.2)\" stroke=\"#999\" stroke-dasharray=\"4 3\"/><text x=\"\(width - 30)\" y=\"\(6 + plot * 0.2)\">80 %</text>"
        var points: [String] = []
        for (index, area) in top.enumerated() {
            let barHeight = plot * Double(area.incidents) / Double(largest)
            let x = left + Double(index) * step
            svg += "<rect x=\"\(f(x + 2))\" y=\"\(f(10 + plot - barHeight))\" width=\"\(f(step - 4))\" height=\"\(f(barHeight))\" fill=\"\(area.pareto ? "#3b6fb6" : "#9db4d8")\"><title>\(escape(area.key)): \(area.incidents)</title></rect>"
            svg += "<text x=\"\(f(x + step / 2))\" y=\"\(f(height - bottom + 14))\" text-anchor=\"end\" transform=\"rotate(-40 \(f(x + step / 2)) \(f(height - bottom + 14)))\">\(escape(area.key))</text>"
            points.append("\(f(x + step / 2)),\(f(10 + plot * (1 - area.cumulativeShare)))")
        }
        svg += "<polyline fill=\"none\" stroke=\"#d9822b\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
        svg += "<text x=\"0\" y=\"20\">\(largest)</text><text x=\"0\" y=\"\(f(10 + plot))\">0</text></svg>"
        return svg
    }

    static func trend(_ areas: ProblemAreaReport) -> String {
        let top = Array(areas.areas.prefix(5))
        let periods = top.first?.trend.count ?? 0
        guard periods > 1 else { return "<p id=\"trend\">Not enough periods for a trend.</p>" }
        let largest = max(1, top.flatMap { $0.trend.map(\.incidents) }.max() ?? 1)
        let width = 900.0, height = 260.0, left = 40.0, plot = 220.0
        let step = (width - left - 120) / Double(periods - 1)
        let colors = ["#3b6fb6", "#2a9d8f", "#8c6bb1", "#e9c46a", "#6c757d"]
        var svg = "<svg id=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"Trend of the top areas\">"
        for (index, area) in top.enumerated() {
            let points = area.trend.enumerated().map { i, p in "\(f(left + Double(i) * step)),\(f(10 + plot * (1 - Double(p.incidents) / Double(largest))))" }
            svg += "<polyline fill=\"none\" stroke=\"\(colors[index])\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"><title>\(escape(area.key))</title></polyline>"
            for (i, p) in area.trend.enumerated() where p.emerging {
                svg += "<circle class=\"emerging\" cx=\"\(f(left + Double(i) * step))\" cy=\"\(f(10 + plot * (1 - Double(p.incidents) / Double(largest))))\" r=\"5\" fill=\"#d62828\"><title>\(escape(area.key)): \(p.incidents) from \(p.start.description.prefix(10))</title></circle>"
            }
            svg += "<text x=\"\(f(width - 110))\" y=\"\(20 + index * 16)\" fill=\"\(colors[index])\">\(escape(area.key))</text>"
        }
        svg += "<text x=\"0\" y=\"20\">\(largest)</text><text x=\"0\" y=\"\(f(10 + plot))\">0</text></svg>"
        return svg
    }

    static func bars(id: String, _ values: [(String, Double)], unit: String, maximum: Double?) -> String {
        guard !values.isEmpty else { return "<p id=\"\(id)\">No data in the window.</p>" }
        let top = max(maximum ?? (values.map(\.1).max() ?? 1), 1)
        let width = 60.0 * Double(values.count) + 40, height = 200.0, plot = 150.0
        var svg = "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
        for (index, (label, value)) in values.enumerated() {
            let h = plot * value / top
            let x = 30 + Double(index) * 60
            svg += "<rect x=\"\(f(x))\" y=\"\(f(20 + plot - h))\" width=\"40\" height=\"\(f(h))\" fill=\"#3b6fb6\"/>"
            svg += "<text x=\"\(f(x + 20))\" y=\"\(f(14 + plot - h))\" text-anchor=\"middle\">\(unit == "%" ? String(format: "%.0f", value) : String(Int(value)))\(unit)</text>"
            svg += "<text x=\"\(f(x + 20))\" y=\"\(f(36 + plot))\" text-anchor=\"middle\">\(escape(label))</text>"
        }
        return svg + "</svg>"
    }

    /// The process section: push to front, handovers, ping-pong, wait-user, conformance (`desk flow`'s figures).
    static func process(_ flow: FlowReport) -> String {
        func table(_ id: String, _ headers: [String], _ rows: [[String]], empty: String = "No data in the window.") -> String {
            guard !rows.isEmpty else { return "<p id=\"\(id)\">\(escape(empty))</p>" }
            return "<table id=\"\(id)\"><tr>" + headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
                + rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
        }
        var html = "<h2 id=\"process\">Process (\(flow.tickets) tickets that began in the window)</h2>\n"
        let c = flow.conformance
        html += "<p>Conformance to the reference process: \(percent(c.rate)) of \(c.judged) ended tickets; \(c.open) open. "
            + "\(flow.variantCount) variants; rework in \(percent(flow.reworkRate)) of tickets.</p>\n"
        html += table(
            "deviations", ["deviation", "tickets"], c.deviations.prefix(5).map { [$0.deviation, String($0.tickets)] },
            empty: c.judged > 0 ? "No deviation: every ended ticket follows the reference process." : "No ticket has ended in the window.")
        if let front = flow.pushToFront {
            html += "\n<h2>Push to front by \(front.dimension.rawValue)</h2>\n" + table(
                "push-to-front", [front.dimension.rawValue, "tickets", "resolved on the first line", "2nd line held", "specialists held"],
                ([front.total] + front.byKey.prefix(10)).map {
                    [$0.key, String($0.tickets), percent($0.firstLineShare), percent($0.secondLineShare), percent($0.specialistShare)]
                })
        }
        let h = flow.handovers
        html += "\n<h2>Handovers between groups</h2>\n" + table(
            "handovers", ["from", "to", "handovers", "median time before"], h.groups.prefix(10).map { [$0.from, $0.to, String($0.count), hours($0.medianSecondsBefore)] })
        html += "\n<h2>Ping-pong (flagged: !)</h2>\n<p>\(h.pingPongTickets) tickets (\(percent(h.pingPongRate))) returned to a group they had left.</p>\n" + table(
            "ping-pong", ["groups", "tickets", "returns / handovers", "flag"],
            h.groupPingPong.prefix(8).map { ["\($0.a) ↔ \($0.b)", String($0.tickets), "\($0.returns) / \($0.handovers)", $0.flagged ? "!" : ""] })
        html += "\n<h2>Wait-user suspensions by agent (flagged: !)</h2>\n" + table(
            "wait-user", ["agent", "line", "tickets", "awaiting the caller", "share of their time", "near SLA due", "flag"],
            flow.waitUserAgents.filter { $0.waitTickets > 0 }.prefix(8).map {
                [$0.key, $0.line ?? "–", String($0.tickets), percent($0.share), percent($0.timeShare), String($0.nearSLADue), $0.flagged ? "!" : ""]
            })
        if !flow.notes.isEmpty {
            html += "\n<ul class=\"notes\">" + flow.notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        }
        return html + "\n<p class=\"muted\">Flags: \(escape(flow.test)).</p>\n"
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }
    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f %%", $0 * 100) } ?? "–" }
    static func hours(_ seconds: Double?) -> String { seconds.map { String(format: "%.1f h", $0 / 3600) } ?? "–" }
    static func escape(_ text: String) -> String { XESExport.escape(text) }
}
