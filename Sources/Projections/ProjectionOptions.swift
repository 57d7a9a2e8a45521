public import EventLog
public import TicketLedger

/// What KPIs are grouped by.
public enum Grouping: String, Sendable, Hashable, Codable, CaseIterable {
    case line, group, agent, channel, category, service, ci, client, priority, product

    /// The ticket's key in this dimension: its field, or else the custom
    /// attribute of the dimension's name (what an import maps columns to);
    /// `(none)` when neither has a value.
    public func key(of ticket: Ticket) -> String {
        let value: String? = switch self {
        case .line: ticket.line.description
        case .group: ticket.group
        case .agent: ticket.agent
        case .channel: ticket.channel.description
        case .category: ticket.category
        case .service: ticket.service
        case .ci: ticket.configurationItems.first
        case .client: ticket.client.id
        case .priority: ticket.priority == 0 ? nil : String(ticket.priority)
        case .product: ticket.attributes["product"] ?? ticket.configurationItems.first
        }
        return value.flatMap { $0.isEmpty ? nil : $0 } ?? ticket.attributes[rawValue].flatMap { $0.isEmpty ? nil : $0 } ?? "(none)"
    }
}

/// The length of the periods of inflow / outflow counts and trends.
public enum Period: String, Sendable, Hashable, Codable, CaseIterable {
    case day, week, month

    /// The period containing `time` (weeks start on Monday, UTC), as an index and its first moment.
    public func period(of time: Timestamp) -> (index: Int64, start: Timestamp) {
        let days = time.microseconds >= 0 ? time.microseconds / 86_400_000_000 : (time.microseconds - 86_399_999_999) / 86_400_000_000
        switch self {
        case .day:
            return (days, Timestamp(microseconds: days * 86_400_000_000))
        case .week:
            // 1970-01-05 was a Monday.
            let shifted = days - 4
            let week = shifted >= 0 ? shifted / 7 : (shifted - 6) / 7
            return (week, Timestamp(microseconds: (week * 7 + 4) * 86_400_000_000))
        case .month:
            let date = LocalDate(daysSinceEpoch: days)
            let index = Int64(date.year * 12 + date.month - 1)
            return (index, Timestamp(microseconds: LocalDate(date.year, date.month, 1).daysSinceEpoch * 86_400_000_000))
        }
    }
}

/// What a replay computes: the KPI window and grouping, the moment or position
/// it stops at, and the SLA rules. Part of a snapshot's identity: a snapshot is
/// reused only with the same options.
public struct ProjectionOptions: Sendable, Hashable, Codable {
    /// The KPI window's start (inclusive); `nil`: from the first event.
    public var from: Timestamp?
    /// As of this moment: events that occurred later are left out, and the KPI
    /// window ends here (inclusive); `nil`: up to the last event.
    public var asOf: Timestamp?
    /// As of this position: the replay stops after it; `nil`: the whole log.
    public var asOfPosition: UInt64?
    /// The KPI grouping, if any.
    public var groupBy: Grouping?
    /// The period of inflow / outflow counts.
    public var period: Period = .week
    /// The share of an SLA target consumed at which a ticket shows a warning.
    public var warningShare = 0.75
    /// Days a closed, cancelled or merged ticket is kept (for late satisfaction
    /// scores and links) before it leaves memory.
    public var closedRetentionDays = 7
    /// Business calendars by the name recorded on `SLAAttached`; an unknown name
    /// counts as 24 × 7.
    public var calendars: [String: BusinessCalendar] = ["24x7": .always]
    /// Problem-area analysis to run in the same pass, if any.
    public var problemAreas: ProblemAreaOptions?
    /// Whether to count SLA breaches per group and period of the window
    /// (``DeskProjector/slaBreachMap()``, the report's heatmap); off when nil or false.
    public var slaBreachMap: Bool?

    /// Options with a window, an as-of point and a grouping.
    public init(from: Timestamp? = nil, asOf: Timestamp? = nil, asOfPosition: UInt64? = nil, groupBy: Grouping? = nil, period: Period = .week) {
        self.from = from
        self.asOf = asOf
        self.asOfPosition = asOfPosition
        self.groupBy = groupBy
        self.period = period
    }

    func inWindow(_ time: Timestamp) -> Bool {
        (from.map { time >= $0 } ?? true) && (asOf.map { time <= $0 } ?? true)
    }
}
