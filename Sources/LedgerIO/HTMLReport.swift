public import EventLog
import Foundation
public import Projections
import TicketLedger

/// One self-contained HTML page (no network, no external file; inline SVG charts
/// and a small inline script for the drill-down, so it works opened from disk)
/// with the desk's KPIs over a window, the flows and backlog over time, the
/// queues, the Pareto chart and trends of problem areas, SLA compliance per
/// priority against a target, satisfaction, and the process: push to front,
/// handovers, ping-pong, wait-user and conformance. A click on a Pareto bar lists
/// its tickets; a click on a ticket shows its history. The footer names the
/// ledger position and chain head the figures were computed at.
public enum HTMLReport {
    /// One ticket of a drill-down list.
    public struct TicketRow: Sendable, Hashable, Codable {
        /// One event of its history.
        public struct Step: Sendable, Hashable, Codable {
            /// When it occurred (ISO 8601, UTC, to the minute).
            public var time: String
            /// The activity.
            public var activity: String
            /// Who recorded it.
            public var actor: String

            /// A step.
            public init(time: String, activity: String, actor: String) {
                self.time = time
                self.activity = activity
                self.actor = actor
            }

            /// Reads `[time, activity, actor]`.
            public init(from decoder: any Decoder) throws {
                var c = try decoder.unkeyedContainer()
                self.init(time: try c.decode(String.self), activity: try c.decode(String.self), actor: try c.decode(String.self))
            }

            /// Writes `[time, activity, actor]`: the page holds thousands of steps, and names repeated in each would double its size.
            public func encode(to encoder: any Encoder) throws {
                var c = encoder.unkeyedContainer()
                try c.encode(time)
                try c.encode(activity)
                try c.encode(actor)
            }
        }

        /// The number.
        public var number: String
        /// The title.
        public var title: String
        /// Its age at the window's end if open, or how long it took if resolved, in words.
        public var age: String
        /// The group that holds (or last held) it.
        public var group: String
        /// Its status at the window's end.
        public var status: String
        /// Its events up to the window's end.
        public var history: [Step]

        /// A row.
        public init(number: String, title: String, age: String, group: String, status: String, history: [Step]) {
            self.number = number
            self.title = title
            self.age = age
            self.group = group
            self.status = status
            self.history = history
        }
    }

    /// The tickets behind a Pareto bar, a queue row or a heatmap cell: how many
    /// there are, and the numbers of those listed (their rows are in ``Input/tickets``).
    public struct TicketList: Sendable, Hashable, Codable {
        /// Tickets (or, for a heatmap cell, missed targets) in all.
        public var total: Int
        /// The numbers of those listed, in the order shown.
        public var numbers: [String]

        /// A list.
        public init(total: Int, numbers: [String]) {
            self.total = total
            self.numbers = numbers
        }
    }

    /// Everything the page shows, computed in one replay by the caller.
    public struct Input: Sendable {
        /// The desk's name (the page's title).
        public var deskName: String
        /// The KPIs of the window, grouped by priority (the SLA chart).
        public var metrics: MetricsReport
        /// The queues at the end of the window.
        public var queues: QueueReport
        /// The problem areas.
        public var areas: ProblemAreaReport
        /// The process analysis of the same window, if computed.
        public var flow: FlowReport?
        /// The SLA resolution compliance each priority should reach (0.9: 90 %).
        public var slaTarget: Double
        /// The ledger position and chain head the figures were computed at.
        public var computedAt: ChainHead
        /// The tickets behind the Pareto bars, by area key.
        public var areaTickets: [String: TicketList]
        /// The tickets of the queues, by queue key (`line:` or `group:` and the queue's name).
        public var queueTickets: [String: TicketList]
        /// The rows of every ticket these lists and the heatmap's cells name, by number.
        public var tickets: [String: TicketRow]
        /// The KPIs of the window just before this one (as long), for the tiles' change; nil without one.
        public var previous: KPIValues?
        /// SLA breaches per group and period (`DeskProjector.slaBreachMap()`), for the heatmap.
        public var breachMap: [SLABreachCell]
        /// What a signed checkpoint checked against the ledger vouches for, in words (the footer names it).
        public var checkpoint: String?

        /// The page's parts.
        public init(
            deskName: String, metrics: MetricsReport, queues: QueueReport, areas: ProblemAreaReport, flow: FlowReport? = nil,
            slaTarget: Double = 0.9, computedAt: ChainHead, areaTickets: [String: TicketList] = [:], queueTickets: [String: TicketList] = [:],
            tickets: [String: TicketRow] = [:], previous: KPIValues? = nil, breachMap: [SLABreachCell] = [], checkpoint: String? = nil
        ) {
            self.deskName = deskName
            self.metrics = metrics
            self.queues = queues
            self.areas = areas
            self.flow = flow
            self.slaTarget = slaTarget
            self.computedAt = computedAt
            self.areaTickets = areaTickets
            self.queueTickets = queueTickets
            self.tickets = tickets
            self.previous = previous
            self.breachMap = breachMap
            self.checkpoint = checkpoint
        }
    }

    /// What each KPI tile means (its hover text; docs/KPIS.md has the full definitions).
    static let definitions: [String: String] = [
        "Registered": "Tickets registered in the window.",
        "Resolved": "Resolutions in the window (a ticket resolved twice counts twice).",
        "First-contact resolution": "Share of tickets resolved on the first contact, without assignment away from the first line.",
        "First-line resolution": "Share of resolved tickets resolved by the first line without a functional escalation.",
        "Median time to resolve": "Median time from registration to first resolution, suspensions included.",
        "90th percentile": "90th percentile of the time from registration to first resolution.",
        "SLA resolution compliance": "Share of tickets with a resolution target that met it (suspensions stop the clock).",
        "Reopen rate": "Reopenings per resolution.",
        "Backlog": "Tickets open at the window's end.",
        "Satisfaction": "Mean of the satisfaction scores (1 to 5) recorded in the window.",
    ]

    /// The page.
    public static func render(_ input: Input) -> String {
        let m = input.metrics.total
        let p = input.previous
        let cards: [(String, String, String?)] = [
            ("Registered", String(m.registered), p.map { count(m.registered, $0.registered) }),
            ("Resolved", String(m.resolved), p.map { count(m.resolved, $0.resolved) }),
            ("First-contact resolution", percent(m.firstContactResolutionRate), p.flatMap { points(m.firstContactResolutionRate, $0.firstContactResolutionRate) }),
            ("First-line resolution", percent(m.firstLineResolutionRate), p.flatMap { points(m.firstLineResolutionRate, $0.firstLineResolutionRate) }),
            ("Median time to resolve", duration(m.medianTimeToResolveSeconds), p.flatMap { longer(m.medianTimeToResolveSeconds, $0.medianTimeToResolveSeconds) }),
            ("90th percentile", duration(m.p90TimeToResolveSeconds), p.flatMap { longer(m.p90TimeToResolveSeconds, $0.p90TimeToResolveSeconds) }),
            ("SLA resolution compliance", percent(m.slaResolutionComplianceRate), p.flatMap { points(m.slaResolutionComplianceRate, $0.slaResolutionComplianceRate) }),
            ("Reopen rate", percent(m.reopenRate), p.flatMap { points(m.reopenRate, $0.reopenRate) }),
            ("Backlog", String(m.backlog), p.map { count(m.backlog, $0.backlog) }),
            ("Satisfaction", m.satisfactionMean.map { String(format: "%.2f / 5", $0) } ?? "–",
             p.flatMap { previous in m.satisfactionMean.flatMap { now in previous.satisfactionMean.map { String(format: "%+.2f", now - $0) } } }),
        ]
        let window = "From \(input.metrics.from.map(day) ?? "the first event") to \(minute(input.metrics.to)) UTC"
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Service desk report: \(escape(input.deskName))</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;color:#222;max-width:1180px;padding:0 16px}
            h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px}
            .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;cursor:help}
            .card b{display:block;font-size:20px}.muted{color:#666}.bad{color:#b00020;font-weight:600}
            table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:3px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
            svg{max-width:100%;height:auto} svg text{font:11px system-ui,sans-serif} .axis{font-weight:600}
            [data-area],[data-queue],[data-cell]{cursor:pointer} [data-area]:hover{opacity:.75} [data-queue]:hover{background:#f3f6fb}
            .change{display:block;font-size:11px;color:#555}
            #sla-heatmap,#process-map{display:block;overflow-x:auto;max-width:100%} #sla-heatmap td,#process-map td{min-width:22px;text-align:center}
            #drill tr[data-ticket]{cursor:pointer} #drill tr[data-ticket]:hover{background:#f3f6fb}
            footer{margin-top:36px;border-top:1px solid #ddd;padding-top:8px;color:#666;font-size:12px;word-break:break-all}
            @media print{[data-area]{cursor:auto} #drill-section{display:none}}
            </style></head><body>
            <h1>Service desk report: \(escape(input.deskName))</h1>
            <p class="muted">\(window). Hover a figure for its definition; click a Pareto bar for its tickets.</p>
            <h2>Service-desk KPIs</h2><div class="cards">
            """
        for (label, value, change) in cards {
            let delta = change.map { "<span class=\"change\">\(escape($0)) against the previous window</span>" } ?? ""
            html += "<div class=\"card\" title=\"\(escape(definitions[label] ?? ""))\"><span class=\"muted\">\(label)</span><b>\(value)</b>\(delta)</div>"
        }
        html += "</div>\n"
        if input.previous == nil {
            html += "<p class=\"muted\">No change is shown: the window starts at the first event (give --from for a window with one before it).</p>\n"
        }
        if !input.metrics.notes.isEmpty {
            html += "<ul class=\"notes\">" + input.metrics.notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>\n"
        }
        html += "\n<h2>Inflow, outflow and backlog per \(input.metrics.period.rawValue)</h2>\n" + flows(input.metrics)
        html += "\n<h2>Backlog by age at the window's end</h2>\n" + bars(
            id: "backlog-age",
            m.backlog == 0 ? [] : [("under 1 day", m.backlogAgeBands.lessThanOneDay), ("1–7 days", m.backlogAgeBands.oneToSevenDays),
             ("7–30 days", m.backlogAgeBands.sevenToThirtyDays), ("over 30 days", m.backlogAgeBands.moreThanThirtyDays)].map { ($0.0, Double($0.1)) },
            xLabel: "age", yLabel: "open tickets")
        html += "\n<h2>Queues at the end of the window</h2>\n"
        let queues = input.queues.byLine + input.queues.byGroup
        if queues.isEmpty {
            html += "<p id=\"queues\">No open ticket at the window's end.</p>"
        } else {
            html += "<table id=\"queues\"><tr><th>line / group</th><th>open</th><th>oldest</th></tr>"
            for (index, queue) in queues.enumerated() {
                let key = (index < input.queues.byLine.count ? "line:" : "group:") + queue.key
                let link = input.queueTickets[key] == nil ? "" : " data-queue=\"\(escape(key))\" title=\"click for its tickets\""
                html += "<tr\(link)><td>\(escape(queue.key))</td><td>\(queue.count)</td><td>\(duration(Double(queue.oldestAgeSeconds)))</td></tr>"
            }
            html += "</table>"
        }
        html += "\n<h2>Problem areas by \(input.areas.dimension.rawValue): Pareto</h2>\n" + pareto(input.areas)
        html += "\n" + drillSection(input)
        html += "\n<h2>Trend of the top areas per \(input.areas.period.rawValue) (red: emerging rise)</h2>\n" + trend(input.areas, window: input.metrics)
        html += "\n<h2>SLA resolution compliance per priority (target \(percent(input.slaTarget)))</h2>\n" + sla(input.metrics, target: input.slaTarget)
        html += "\n<h2>SLA breaches per group and \(input.metrics.period.rawValue)</h2>\n" + heatmap(input.breachMap, window: input.metrics)
        html += "\n<h2>Satisfaction (scores 1 to 5)</h2>\n" + bars(
            id: "satisfaction", m.satisfactionCount == 0 ? [] : m.satisfactionDistribution.enumerated().map { (String($0.offset + 1), Double($0.element)) },
            xLabel: "score", yLabel: "ratings")
        if let flow = input.flow { html += "\n" + process(flow) }
        html += "\n<footer>Computed from the ledger at position \(input.computedAt.position), chain head \(input.computedAt.hashHex): "
            + "`desk verify` on the ledger and `desk metrics --json` with the same window give the same figures. "
            + (input.checkpoint.map { "Checked before writing this page: \(escape($0)). " } ?? "")
            + "Generated by TicketLedger \(TicketLedgerVersion.current).</footer>\n"
        html += script
        html += "</body></html>\n"
        return html
    }

    // MARK: - Charts

    /// A chart's frame: the plot area, y ticks with grid lines, and both axes' labels.
    struct Frame {
        let width: Double, height: Double, left = 56.0, right = 16.0, top = 12.0, bottom: Double
        var plotWidth: Double { width - left - right }
        var plotHeight: Double { height - top - bottom }
        func y(_ value: Double, of maximum: Double) -> Double { top + plotHeight * (1 - value / max(maximum, 1e-9)) }

        func axes(maximum: Double, xLabel: String, yLabel: String, percent: Bool = false) -> String {
            var svg = ""
            for step in 0...4 {
                let value = maximum * Double(step) / 4
                let y = self.y(value, of: maximum)
                svg += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - right))\" y2=\"\(f(y))\" stroke=\"#eee\"/>"
                let text = percent ? String(format: "%.0f %%", value) : String(format: "%g", value)
                svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(text)</text>"
            }
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotHeight))\" stroke=\"#999\"/>"
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotHeight))\" stroke=\"#999\"/>"
            svg += "<text class=\"axis\" transform=\"rotate(-90 14 \(f(top + plotHeight / 2)))\" x=\"14\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\">\(escape(yLabel))</text>"
            svg += "<text class=\"axis\" x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 4))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
            return svg
        }
    }

    /// A round maximum for an axis of four steps (1, 2, 2.5 or 5 times a power of ten each) at or above `value`.
    static func niceMaximum(_ value: Double) -> Double {
        guard value > 0 else { return 4 }
        let raw = value / 4
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        return max(4, step * 4)
    }

    /// Whether the period starting at `start` reaches outside the window (its count covers less than a whole period).
    static func isPartial(_ start: Timestamp, _ period: Period, window: MetricsReport) -> Bool {
        let length: Int64 = switch period {
        case .day: 86_400
        case .week: 7 * 86_400
        case .month: 31 * 86_400
        }
        let end = period.period(of: Timestamp(microseconds: start.microseconds + length * 1_000_000)).start
        return (window.from.map { start < $0 } ?? false) || end > window.to
    }

    /// Period labels along an x axis: at most about 12, as dates.
    static func periodLabels(_ starts: [Timestamp], x: (Int) -> Double, frame: Frame) -> String {
        let every = max(1, Int((Double(starts.count) / 12).rounded(.up)))
        return starts.enumerated().filter { $0.offset % every == 0 }.map { index, start in
            let y = frame.top + frame.plotHeight + 14
            return "<text x=\"\(f(x(index)))\" y=\"\(f(y))\" text-anchor=\"end\" transform=\"rotate(-35 \(f(x(index))) \(f(y)))\">\(day(start))</text>"
        }.joined()
    }

    static func flows(_ metrics: MetricsReport) -> String {
        let flows = metrics.flows
        guard !flows.isEmpty else { return "<p id=\"flows\">No data: no ticket came in or went out in the window.</p>" }
        // The backlog at each period's end, back from the window's end.
        var backlog: [Int] = Array(repeating: 0, count: flows.count)
        var open = metrics.total.backlog
        for index in flows.indices.reversed() {
            backlog[index] = open
            open = open - flows[index].inflow + flows[index].outflow
        }
        let frame = Frame(width: 1100, height: 300, bottom: 78)
        let largest = niceMaximum(Double(max(flows.map { max($0.inflow, $0.outflow) }.max()!, backlog.max()!)))
        let step = frame.plotWidth / Double(flows.count)
        let bar = max(1, step / 2 - 1)
        var svg = "<svg id=\"flows\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(frame.width)) \(Int(frame.height))\" width=\"\(Int(frame.width))\" role=\"img\" aria-label=\"Inflow, outflow and backlog\">"
        svg += frame.axes(maximum: largest, xLabel: "\(metrics.period.rawValue) starting", yLabel: "tickets")
        var line: [String] = []
        for (index, period) in flows.enumerated() {
            let x = frame.left + Double(index) * step
            let partial = isPartial(period.start, metrics.period, window: metrics)
            let opacity = partial ? " fill-opacity=\"0.35\"" : ""
            let note = partial ? " (partial \(metrics.period.rawValue))" : ""
            svg += "<rect x=\"\(f(x + 1))\" y=\"\(f(frame.y(Double(period.inflow), of: largest)))\" width=\"\(f(bar))\" height=\"\(f(frame.plotHeight * Double(period.inflow) / largest))\" fill=\"#3b6fb6\"\(opacity)><title>\(day(period.start)): \(period.inflow) in\(note)</title></rect>"
            svg += "<rect x=\"\(f(x + 1 + bar))\" y=\"\(f(frame.y(Double(period.outflow), of: largest)))\" width=\"\(f(bar))\" height=\"\(f(frame.plotHeight * Double(period.outflow) / largest))\" fill=\"#2a9d8f\"\(opacity)><title>\(day(period.start)): \(period.outflow) out\(note)</title></rect>"
            if partial { svg += "<text class=\"partial\" x=\"\(f(x + step / 2))\" y=\"\(f(frame.top + frame.plotHeight - 4))\" text-anchor=\"middle\" fill=\"#555\">partial</text>" }
            line.append("\(f(x + step / 2)),\(f(frame.y(Double(backlog[index]), of: largest)))")
        }
        svg += "<polyline fill=\"none\" stroke=\"#d9822b\" stroke-width=\"2\" points=\"\(line.joined(separator: " "))\"><title>backlog at each period's end</title></polyline>"
        svg += periodLabels(flows.map(\.start), x: { frame.left + (Double($0) + 0.5) * step }, frame: frame)
        svg += legend([("#3b6fb6", "inflow"), ("#2a9d8f", "outflow"), ("#d9822b", "backlog")], x: frame.left + 8)
        return svg + "</svg>"
    }

    static func legend(_ entries: [(String, String)], x: Double) -> String {
        entries.enumerated().map { index, entry in
            let at = x + Double(index) * 84
            return "<rect x=\"\(f(at))\" y=\"2\" width=\"10\" height=\"10\" fill=\"\(entry.0)\"/><text x=\"\(f(at + 14))\" y=\"11\">\(escape(entry.1))</text>"
        }.joined()
    }

    static func pareto(_ areas: ProblemAreaReport) -> String {
        let top = Array(areas.areas.prefix(15))
        guard let largest = top.first?.incidents, largest > 0 else { return "<p id=\"pareto\">No data: no incident was registered in the window.</p>" }
        if let unnamed = namesNone(areas) { return "<p id=\"pareto\">\(unnamed)</p>" }
        let frame = Frame(width: 1100, height: 320, bottom: 110)
        let step = frame.plotWidth / Double(top.count)
        let axisMaximum = niceMaximum(Double(largest))
        var svg = "<svg id=\"pareto\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(frame.width)) \(Int(frame.height))\" width=\"\(Int(frame.width))\" role=\"img\" aria-label=\"Pareto of incidents\">"
        svg += frame.axes(maximum: axisMaximum, xLabel: areas.dimension.rawValue, yLabel: "incidents")
        let eighty = frame.top + frame.plotHeight * 0.2
        svg += "<line x1=\"\(f(frame.left))\" y1=\"\(f(eighty))\" x2=\"\(f(frame.width - frame.right))\" y2=\"\(f(eighty))\" stroke=\"#d9822b\" stroke-dasharray=\"4 3\"/><text x=\"\(f(frame.width - frame.right - 4))\" y=\"\(f(eighty - 4))\" text-anchor=\"end\" fill=\"#d9822b\">80 % of incidents (cumulative line)</text>"
        var points: [String] = []
        for (index, area) in top.enumerated() {
            let height = frame.plotHeight * Double(area.incidents) / axisMaximum
            let x = frame.left + Double(index) * step
            svg += "<rect data-area=\"\(escape(area.key))\" x=\"\(f(x + 2))\" y=\"\(f(frame.top + frame.plotHeight - height))\" width=\"\(f(step - 4))\" height=\"\(f(height))\" fill=\"\(area.pareto ? "#3b6fb6" : "#9db4d8")\"><title>\(escape(area.key)): \(area.incidents) incidents, \(percent(area.share)) (click for the tickets)</title></rect>"
            let labelY = frame.top + frame.plotHeight + 14
            svg += "<text x=\"\(f(x + step / 2))\" y=\"\(f(labelY))\" text-anchor=\"end\" transform=\"rotate(-35 \(f(x + step / 2)) \(f(labelY)))\">\(escape(String(area.key.prefix(28))))</text>"
            points.append("\(f(x + step / 2)),\(f(frame.top + frame.plotHeight * (1 - area.cumulativeShare)))")
        }
        svg += "<polyline fill=\"none\" stroke=\"#d9822b\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
        return svg + "</svg>"
    }

    /// What to say instead of a chart when no incident names the dimension (one bar, `(none)`).
    static func namesNone(_ areas: ProblemAreaReport) -> String? {
        guard areas.areas.count == 1, areas.areas[0].key == "(none)" else { return nil }
        return "No data: no incident in the window names a \(areas.dimension.rawValue) (`desk report --by` chooses another dimension)."
    }

    static func trend(_ areas: ProblemAreaReport, window: MetricsReport) -> String {
        if let unnamed = namesNone(areas) { return "<p id=\"trend\">\(unnamed)</p>" }
        let top = Array(areas.areas.prefix(5))
        let periods = top.first?.trend.count ?? 0
        guard periods > 1 else { return "<p id=\"trend\">No data: fewer than two \(areas.period.rawValue)s with incidents for a trend.</p>" }
        let largest = niceMaximum(Double(top.flatMap { $0.trend.map(\.incidents) }.max() ?? 1))
        let frame = Frame(width: 1100, height: 300, bottom: 78)
        let plotRight = frame.plotWidth - 170
        let step = plotRight / Double(periods - 1)
        let colors = ["#3b6fb6", "#2a9d8f", "#8c6bb1", "#e9c46a", "#6c757d"]
        var svg = "<svg id=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(frame.width)) \(Int(frame.height))\" width=\"\(Int(frame.width))\" role=\"img\" aria-label=\"Trend of the top areas\">"
        svg += frame.axes(maximum: largest, xLabel: "\(areas.period.rawValue) starting", yLabel: "incidents")
        let starts = top[0].trend.map(\.start)
        for (index, start) in starts.enumerated() where isPartial(start, areas.period, window: window) {
            let x = frame.left + Double(index) * step
            svg += "<rect class=\"partial\" x=\"\(f(x - step / 2))\" y=\"\(f(frame.top))\" width=\"\(f(step))\" height=\"\(f(frame.plotHeight))\" fill=\"#f4f4f4\"><title>partial \(areas.period.rawValue): fewer days than the others</title></rect>"
        }
        for (index, area) in top.enumerated() {
            let points = area.trend.enumerated().map { i, p in "\(f(frame.left + Double(i) * step)),\(f(frame.y(Double(p.incidents), of: largest)))" }
            svg += "<polyline fill=\"none\" stroke=\"\(colors[index])\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"><title>\(escape(area.key))</title></polyline>"
            for (i, p) in area.trend.enumerated() where p.emerging {
                svg += "<circle class=\"emerging\" cx=\"\(f(frame.left + Double(i) * step))\" cy=\"\(f(frame.y(Double(p.incidents), of: largest)))\" r=\"5\" fill=\"#d62828\"><title>\(escape(area.key)): \(p.incidents) from \(day(p.start))</title></circle>"
            }
            svg += "<text x=\"\(f(frame.left + plotRight + 16))\" y=\"\(f(frame.top + 12 + Double(index) * 16))\" fill=\"\(colors[index])\">\(escape(String(area.key.prefix(24))))</text>"
        }
        svg += periodLabels(starts, x: { frame.left + Double($0) * step }, frame: frame)
        return svg + "</svg>"
    }

    static func sla(_ metrics: MetricsReport, target: Double) -> String {
        let priorities = metrics.groups.compactMap { group in group.slaResolutionComplianceRate.map { ("P" + (group.key ?? "?"), $0, group.slaResolutionBreaches) } }
        guard !priorities.isEmpty else { return "<p id=\"sla\">No data: no ticket in the window has a resolution target.</p>" }
        let frame = Frame(width: max(360, 90 * Double(priorities.count) + 120), height: 260, bottom: 44)
        let step = frame.plotWidth / Double(priorities.count)
        var svg = "<svg id=\"sla\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(frame.width)) \(Int(frame.height))\" width=\"\(Int(frame.width))\" role=\"img\" aria-label=\"SLA compliance per priority\">"
        svg += frame.axes(maximum: 100, xLabel: "priority", yLabel: "met (%)", percent: true)
        for (index, (label, rate, breaches)) in priorities.enumerated() {
            let x = frame.left + Double(index) * step
            let below = rate < target
            let height = frame.plotHeight * rate
            svg += "<rect\(below ? " class=\"breach\"" : "") x=\"\(f(x + step * 0.2))\" y=\"\(f(frame.top + frame.plotHeight - height))\" width=\"\(f(step * 0.6))\" height=\"\(f(height))\" fill=\"\(below ? "#d62828" : "#3b6fb6")\"><title>\(label): \(percent(rate)) met, \(breaches) breached\(below ? ", below the target" : "")</title></rect>"
            svg += "<text x=\"\(f(x + step / 2))\" y=\"\(f(frame.top + frame.plotHeight - height - 4))\" text-anchor=\"middle\"\(below ? " fill=\"#b00020\"" : "")>\(String(format: "%.0f %%", rate * 100))\(below ? " ▼" : "")</text>"
            svg += "<text x=\"\(f(x + step / 2))\" y=\"\(f(frame.top + frame.plotHeight + 14))\" text-anchor=\"middle\">\(escape(label))</text>"
        }
        let y = frame.y(target * 100, of: 100)
        svg += "<line x1=\"\(f(frame.left))\" y1=\"\(f(y))\" x2=\"\(f(frame.width - frame.right))\" y2=\"\(f(y))\" stroke=\"#b00020\" stroke-dasharray=\"5 3\"><title>target \(percent(target))</title></line>"
        svg += "</svg>"
        let flagged = priorities.filter { $0.1 < target }.map(\.0)
        return svg + (flagged.isEmpty ? "<p>Every priority meets the target.</p>" : "<p class=\"bad\">Below the target: \(flagged.joined(separator: ", ")).</p>")
    }

    /// Counts as bars, a label under each.
    static func bars(id: String, _ values: [(String, Double)], xLabel: String, yLabel: String) -> String {
        guard !values.isEmpty, values.contains(where: { $0.1 > 0 }) else { return "<p id=\"\(id)\">No data in the window.</p>" }
        let top = niceMaximum(values.map(\.1).max() ?? 1)
        let frame = Frame(width: 90 * Double(values.count) + 90, height: 230, bottom: 44)
        let step = frame.plotWidth / Double(values.count)
        var svg = "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(frame.width)) \(Int(frame.height))\" width=\"\(Int(frame.width))\" role=\"img\">"
        svg += frame.axes(maximum: top, xLabel: xLabel, yLabel: yLabel)
        for (index, (label, value)) in values.enumerated() {
            let height = frame.plotHeight * value / top
            let x = frame.left + Double(index) * step
            svg += "<rect x=\"\(f(x + step * 0.2))\" y=\"\(f(frame.top + frame.plotHeight - height))\" width=\"\(f(step * 0.6))\" height=\"\(f(height))\" fill=\"#3b6fb6\"/>"
            svg += "<text x=\"\(f(x + step / 2))\" y=\"\(f(frame.top + frame.plotHeight - height - 4))\" text-anchor=\"middle\">\(String(Int(value)))</text>"
            svg += "<text x=\"\(f(x + step / 2))\" y=\"\(f(frame.top + frame.plotHeight + 14))\" text-anchor=\"middle\">\(escape(label))</text>"
        }
        return svg + "</svg>"
    }

    /// Missed SLA targets per group (rows, most first) and period (columns), darker for more.
    static func heatmap(_ cells: [SLABreachCell], window: MetricsReport) -> String {
        guard !cells.isEmpty else { return "<p id=\"sla-heatmap\">No data: no SLA target was missed in the window.</p>" }
        var byGroup: [String: [Int64: Int]] = [:]
        for cell in cells { byGroup[cell.group, default: [:]][cell.start.microseconds, default: 0] += cell.breaches }
        let groups = byGroup.keys.sorted { (byGroup[$0]!.values.reduce(0, +), $1) > (byGroup[$1]!.values.reduce(0, +), $0) }.prefix(12)
        let starts = Array(Set(window.flows.map(\.start.microseconds) + cells.map(\.start.microseconds))).sorted()
        let largest = Double(cells.map(\.breaches).max() ?? 1)
        var html = "<table id=\"sla-heatmap\"><tr><th>group</th>" + starts.map { "<th>\(day(Timestamp(microseconds: $0)).suffix(5))</th>" }.joined() + "<th>total</th></tr>"
        for group in groups {
            let row = byGroup[group]!
            html += "<tr><td>\(escape(group))</td>"
            for start in starts {
                guard let count = row[start] else { html += "<td></td>"; continue }
                let key = group + "|" + day(Timestamp(microseconds: start))
                let shade = String(format: "%.2f", 0.15 + 0.85 * Double(count) / largest)
                html += "<td data-breaches=\"\(count)\" data-cell=\"\(escape(key))\" style=\"background:rgba(214,40,40,\(shade));color:\(Double(count) / largest > 0.5 ? "#fff" : "#222")\" title=\"\(escape(group)), \(window.period.rawValue) of \(day(Timestamp(microseconds: start))): \(count) targets missed (click for the tickets)\">\(count)</td>"
            }
            html += "<td>\(row.values.reduce(0, +))</td></tr>"
        }
        let hidden = byGroup.count - groups.count
        return html + "</table>" + (hidden > 0 ? "<p class=\"muted\">\(hidden) more groups with fewer breaches are not shown.</p>" : "")
    }

    // MARK: - Drill-down

    /// The lists of the heatmap's cells, keyed `group|day` as its cells are.
    static func cellLists(_ cells: [SLABreachCell]) -> [String: TicketList] {
        var lists: [String: TicketList] = [:]
        for cell in cells {
            let key = cell.group + "|" + day(cell.start)
            var list = lists[key] ?? TicketList(total: 0, numbers: [])
            list.total += cell.breaches
            list.numbers += cell.tickets.filter { !list.numbers.contains($0) }
            lists[key] = list
        }
        return lists
    }

    /// The ticket list a Pareto bar, a queue row or a heatmap cell fills, and the
    /// history a ticket row fills, from the data embedded below them (each ticket's row once).
    static func drillSection(_ input: Input) -> String {
        let cells = cellLists(input.breachMap)
        guard !input.areaTickets.isEmpty || !input.queueTickets.isEmpty || !cells.isEmpty else { return "" }
        struct Island: Encodable {
            var areas: [String: TicketList]
            var queues: [String: TicketList]
            var cells: [String: TicketList]
            var tickets: [String: TicketRow]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let contents = Island(areas: input.areaTickets, queues: input.queueTickets, cells: cells, tickets: input.tickets)
        let data = (try? encoder.encode(contents)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        // A JSON island: "</" cannot end the script element early.
        let island = data.replacingOccurrences(of: "</", with: "<\\/")
        return """
            <section id="drill-section"><h2 id="drill-title">Tickets of an area</h2>
            <p id="drill-hint" class="muted">Click a bar of the Pareto chart, a queue or a heatmap cell to list its tickets here; click a ticket for its history.</p>
            <table id="drill" hidden><thead><tr><th>ticket</th><th>title</th><th>age / time to resolve</th><th>group</th><th>status</th></tr></thead><tbody></tbody></table>
            <div id="drill-history"></div></section>
            <script type="application/json" id="drill-data">\(island)</script>
            """
    }

    static let script = """
        <script>
        (function () {
          var island = document.getElementById("drill-data");
          if (!island) return;
          var data = JSON.parse(island.textContent);
          function cell(row, text) { var td = document.createElement("td"); td.textContent = text; row.appendChild(td); }
          function showHistory(ticket) {
            var box = document.getElementById("drill-history");
            box.textContent = "";
            var heading = document.createElement("h2");
            heading.textContent = "History of " + ticket.number + ": " + ticket.title;
            box.appendChild(heading);
            var table = document.createElement("table");
            table.id = "history";
            ticket.history.forEach(function (step) {
              var row = document.createElement("tr");
              cell(row, step[0]); cell(row, step[1]); cell(row, step[2]);
              table.appendChild(row);
            });
            box.appendChild(table);
          }
          function showList(kind, key) {
            var list = data[kind][key];
            if (!list) return;
            var tickets = list.numbers.map(function (number) { return data.tickets[number]; }).filter(Boolean);
            var title;
            if (kind === "areas") {
              title = "Incidents of " + key + ": " + list.total + (tickets.length < list.total ? " (the latest " + tickets.length + " listed)" : "");
            } else if (kind === "queues") {
              title = "Open tickets of " + key.replace(/^(line|group):/, "") + ": " + list.total + (tickets.length < list.total ? " (the oldest " + tickets.length + " listed)" : "");
            } else {
              var parts = key.split("|");
              title = "SLA targets missed by " + parts[0] + " from " + parts[1] + ": " + list.total + ", by " + tickets.length + " tickets";
            }
            document.getElementById("drill-title").textContent = title;
            document.getElementById("drill-hint").hidden = true;
            var table = document.getElementById("drill");
            var body = table.tBodies[0];
            body.textContent = "";
            tickets.forEach(function (ticket) {
              var row = document.createElement("tr");
              row.setAttribute("data-ticket", ticket.number);
              cell(row, ticket.number); cell(row, ticket.title); cell(row, ticket.age); cell(row, ticket.group); cell(row, ticket.status);
              row.addEventListener("click", function () { showHistory(ticket); });
              body.appendChild(row);
            });
            table.hidden = false;
            document.getElementById("drill-history").textContent = "";
            document.getElementById("drill-section").scrollIntoView();
          }
          document.querySelectorAll("[data-area]").forEach(function (bar) {
            bar.addEventListener("click", function () { showList("areas", bar.getAttribute("data-area")); });
          });
          document.querySelectorAll("[data-queue]").forEach(function (row) {
            row.addEventListener("click", function () { showList("queues", row.getAttribute("data-queue")); });
          });
          document.querySelectorAll("[data-cell]").forEach(function (cell) {
            cell.addEventListener("click", function () { showList("cells", cell.getAttribute("data-cell")); });
          });
        })();
        </script>

        """

    // MARK: - Process

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
        html += processMap(flow)
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
            "handovers", ["from", "to", "handovers", "median time before"], h.groups.prefix(10).map { [$0.from, $0.to, String($0.count), duration($0.medianSecondsBefore)] })
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

    /// The process map as a matrix: how often each of the most frequent activities
    /// directly follows another (desk flow's edges), darker for more.
    static func processMap(_ flow: FlowReport) -> String {
        let activities = flow.activities.sorted { ($0.events, $1.name) > ($1.events, $0.name) }.prefix(12).map(\.name)
        guard activities.count > 1 else { return "<p id=\"process-map\">No data: fewer than two activities in the window.</p>\n" }
        var counts: [String: FlowReport.Edge] = [:]
        for edge in flow.edges { counts[edge.from + "\u{0}" + edge.to] = edge }
        let largest = Double(counts.values.filter { activities.contains($0.from) && activities.contains($0.to) }.map(\.count).max() ?? 1)
        var html = "<h3>Process map: how often one activity directly follows another (rows: from, columns: to)</h3>\n"
        html += "<table id=\"process-map\"><tr><th>from \\ to</th>" + activities.map { "<th title=\"\(escape($0))\">\(escape(String($0.prefix(14))))</th>" }.joined() + "</tr>"
        for from in activities {
            html += "<tr><td>\(escape(from))</td>"
            for to in activities {
                guard let edge = counts[from + "\u{0}" + to] else { html += "<td></td>"; continue }
                let shade = String(format: "%.2f", 0.1 + 0.9 * Double(edge.count) / largest)
                let ink = Double(edge.count) / largest > 0.5 ? "#fff" : "#222"
                html += "<td style=\"background:rgba(59,111,182,\(shade));color:\(ink)\" title=\"\(escape(from)) → \(escape(to)): \(edge.count), median \(duration(edge.medianSeconds))\">\(edge.count)</td>"
            }
            html += "</tr>"
        }
        return html + "</table>\n"
    }

    // MARK: - Words

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }
    /// A count's change: `+12 (+4.1 %)`.
    static func count(_ now: Int, _ before: Int) -> String {
        before == 0 ? String(format: "%+d", now - before) : String(format: "%+d (%+.1f %%)", now - before, Double(now - before) / Double(before) * 100)
    }
    /// A rate's change in percentage points, when both are known.
    static func points(_ now: Double?, _ before: Double?) -> String? {
        guard let now, let before else { return nil }
        return String(format: "%+.1f pts", (now - before) * 100)
    }
    /// A duration's change, when both are known: `+2.0 h` or `−1.5 d`.
    static func longer(_ now: Double?, _ before: Double?) -> String? {
        guard let now, let before else { return nil }
        return (now >= before ? "+" : "−") + duration(abs(now - before))
    }
    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f %%", $0 * 100) } ?? "–" }
    /// A duration in the unit people read: hours below two days, days from two days on.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "–" }
        return seconds < 2 * 86_400 ? String(format: "%.1f h", seconds / 3600) : String(format: "%.1f d", seconds / 86_400)
    }
    static func day(_ time: Timestamp) -> String { String(time.description.prefix(10)) }
    static func minute(_ time: Timestamp) -> String { String(time.description.prefix(16)) }
    static func escape(_ text: String) -> String { XESExport.escape(text) }
}
