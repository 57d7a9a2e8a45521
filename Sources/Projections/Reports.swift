public import EventLog
public import TicketLedger

/// One open ticket in a queue.
public struct QueueEntry: Sendable, Hashable, Codable {
    public var number: String
    public var priority: Priority
    public var status: TicketStatus
    public var line: SupportLine
    public var group: String?
    public var agent: String?
    public var title: String
    public var registeredAt: Timestamp
    public var ageSeconds: Int64
    /// The resolution due time, suspensions included, when an SLA is attached.
    public var resolutionDue: Timestamp?
}

/// One queue: a line, a group or an agent, with its tickets in working order.
public struct Queue: Sendable, Hashable, Codable {
    public var key: String
    public var count: Int
    public var oldestAgeSeconds: Int64
    /// Ordered by priority, then resolution due time (none last), then age.
    public var tickets: [QueueEntry]
}

/// The queues as of a moment.
public struct QueueReport: Sendable, Hashable, Codable {
    public var asOf: Timestamp
    public var open: Int
    public var byLine: [Queue]
    public var byGroup: [Queue]
    public var byAgent: [Queue]
    /// Open tickets no group holds yet.
    public var unassigned: Queue
}

/// The KPIs over the window, in total and per group.
public struct MetricsReport: Sendable, Hashable, Codable {
    public struct PeriodFlow: Sendable, Hashable, Codable {
        public var start: Timestamp
        public var inflow: Int
        public var outflow: Int
    }

    public var from: Timestamp?
    public var to: Timestamp
    public var groupBy: Grouping?
    public var total: KPIValues
    public var groups: [KPIValues]
    public var period: Period
    public var flows: [PeriodFlow]
}

/// One ticket's SLA as of a moment.
public struct TicketSLA: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable {
        case running, warning, met, breached, paused
    }

    public struct Clock: Sendable, Hashable, Codable {
        public var state: State
        public var targetSeconds: Int64
        /// The due time, moved later by suspensions.
        public var due: Timestamp
        /// Business seconds of the target consumed so far (or when decided).
        public var consumedSeconds: Int64
        /// When it was met, or when it was breached.
        public var decidedAt: Timestamp?
    }

    public var number: String
    public var priority: Priority
    public var calendar: String
    public var response: Clock?
    public var resolution: Clock?
}

extension DeskProjector {
    /// The state as of `now`, with SLA targets due up to then marked breached.
    func advanced(to now: Timestamp) -> DeskProjector {
        var copy = self
        copy.expireDues(before: Timestamp(microseconds: now.microseconds + 1))
        return copy
    }

    /// The queues of open tickets per line, group and agent, aged at `now`
    /// (default: the as-of time or the last event's time).
    public func queues(now: Timestamp? = nil, line: SupportLine? = nil, group: String? = nil) -> QueueReport {
        let now = moment(now)
        let entries = tickets.values.compactMap { tracked -> QueueEntry? in
            let t = tracked.ticket
            guard t.status.isOpen else { return nil }
            if let line, t.line != line { return nil }
            if let group, t.group != group { return nil }
            return QueueEntry(
                number: t.number, priority: t.priority, status: t.status, line: t.line, group: t.group, agent: t.agent, title: t.title,
                registeredAt: t.registeredAt, ageSeconds: max(0, (now.microseconds - t.registeredAt.microseconds) / 1_000_000),
                resolutionDue: tracked.resolution.state == .none ? nil : tracked.resolution.due)
        }.sorted { a, b in
            if a.priority != b.priority { return a.priority < b.priority }
            switch (a.resolutionDue, b.resolutionDue) {
            case let (x?, y?) where x != y: return x < y
            case (_?, nil): return true
            case (nil, _?): return false
            default: break
            }
            if a.registeredAt != b.registeredAt { return a.registeredAt < b.registeredAt }
            return a.number < b.number
        }
        func queues(_ key: (QueueEntry) -> String?) -> [Queue] {
            var grouped: [String: [QueueEntry]] = [:]
            for entry in entries { if let k = key(entry) { grouped[k, default: []].append(entry) } }
            return grouped.keys.sorted().map { makeQueue($0, grouped[$0]!) }
        }
        func makeQueue(_ key: String, _ tickets: [QueueEntry]) -> Queue {
            Queue(key: key, count: tickets.count, oldestAgeSeconds: tickets.map(\.ageSeconds).max() ?? 0, tickets: tickets)
        }
        return QueueReport(
            asOf: now, open: entries.count, byLine: queues { $0.line.description }, byGroup: queues { $0.group },
            byAgent: queues { $0.agent }, unassigned: makeQueue("(unassigned)", entries.filter { $0.group == nil }))
    }

    /// The KPIs over the options' window, in total and per group, with the
    /// backlog aged at `now` (default: the as-of time or the last event's time).
    public func metrics(now: Timestamp? = nil) -> MetricsReport {
        let now = moment(now)
        let state = advanced(to: now)
        var backlog = 0
        var bands = AgeBands()
        var groupBacklog: [String: (Int, AgeBands)] = [:]
        for tracked in state.tickets.values where tracked.ticket.status.isOpen {
            let age = (now.microseconds - tracked.ticket.registeredAt.microseconds) / 1_000_000
            backlog += 1
            bands.add(ageSeconds: age)
            if let dimension = options.groupBy {
                let key = dimension.key(of: tracked.ticket)
                var entry = groupBacklog[key] ?? (0, AgeBands())
                entry.0 += 1
                entry.1.add(ageSeconds: age)
                groupBacklog[key] = entry
            }
        }
        let keys = Set(state.groups.keys).union(groupBacklog.keys).sorted()
        return MetricsReport(
            from: options.from, to: now, groupBy: options.groupBy,
            total: KPIValues(key: nil, aggregate: state.total, backlog: backlog, bands: bands),
            groups: keys.map { key in
                let (count, ages) = groupBacklog[key] ?? (0, AgeBands())
                return KPIValues(key: key, aggregate: state.groups[key] ?? KPIAggregate(), backlog: count, bands: ages)
            },
            period: options.period,
            flows: state.flows.keys.sorted().map { index in
                MetricsReport.PeriodFlow(start: Self.periodStart(index, options.period), inflow: state.flows[index]!.inflow, outflow: state.flows[index]!.outflow)
            })
    }

    static func periodStart(_ index: Int64, _ period: Period) -> Timestamp {
        switch period {
        case .day: Timestamp(microseconds: index * 86_400_000_000)
        case .week: Timestamp(microseconds: (index * 7 + 4) * 86_400_000_000)
        case .month: Timestamp(microseconds: LocalDate(Int(index / 12), Int(index % 12) + 1, 1).daysSinceEpoch * 86_400_000_000)
        }
    }

    /// The SLA of every open or recently closed ticket that has one, as of `now`.
    public func slaStatuses(now: Timestamp? = nil) -> [TicketSLA] {
        let now = moment(now)
        let state = advanced(to: now)
        return state.tickets.values.compactMap { tracked -> TicketSLA? in
            guard tracked.response.state != .none || tracked.resolution.state != .none else { return nil }
            let calendar = calendar(named: tracked.calendar)
            func clock(_ target: DeskProjector.Target) -> TicketSLA.Clock? {
                guard target.state != .none else { return nil }
                let end = target.decidedAt ?? now
                // Consumed = target minus what is left until the (moved) due time.
                let left = end < target.due ? calendar.businessSeconds(from: end, to: target.due) : -calendar.businessSeconds(from: target.due, to: end)
                let consumed = target.targetSeconds - left
                let state: TicketSLA.State = switch target.state {
                case .met: .met
                case .breached: .breached
                default:
                    tracked.ticket.suspendedSince != nil ? .paused
                        : (Double(consumed) >= options.warningShare * Double(target.targetSeconds) ? .warning : .running)
                }
                return TicketSLA.Clock(state: state, targetSeconds: target.targetSeconds, due: target.due, consumedSeconds: consumed, decidedAt: target.decidedAt)
            }
            return TicketSLA(
                number: tracked.ticket.number, priority: tracked.ticket.priority, calendar: tracked.calendar ?? "24x7",
                response: clock(tracked.response), resolution: clock(tracked.resolution))
        }.sorted { $0.number < $1.number }
    }
}
