public import EventLog
public import TicketLedger

/// One open ticket in a queue.
public struct QueueEntry: Sendable, Hashable, Codable {
    /// The ticket number.
    public var number: String
    /// Its priority.
    public var priority: Priority
    /// Its status.
    public var status: TicketStatus
    /// The line holding it.
    public var line: SupportLine
    /// The group holding it, if any.
    public var group: String?
    /// The agent working on it, if any.
    public var agent: String?
    /// Its title.
    public var title: String
    /// When it was registered.
    public var registeredAt: Timestamp
    /// Seconds since registration, as of the report.
    public var ageSeconds: Int64
    /// The resolution due time, suspensions included, when an SLA is attached.
    public var resolutionDue: Timestamp?
}

extension QueueEntry {
    enum CodingKeys: String, CodingKey {
        case number, priority, status, line, group, agent, title, registeredAt, ageSeconds, resolutionDue
    }

    /// Status and line as the words the tables print (`in progress`, `2nd line`), as every report writes enums.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(number, forKey: .number)
        try c.encode(priority, forKey: .priority)
        try c.encode(status.description, forKey: .status)
        try c.encode(line.description, forKey: .line)
        try c.encodeIfPresent(group, forKey: .group)
        try c.encodeIfPresent(agent, forKey: .agent)
        try c.encode(title, forKey: .title)
        try c.encode(registeredAt, forKey: .registeredAt)
        try c.encode(ageSeconds, forKey: .ageSeconds)
        try c.encodeIfPresent(resolutionDue, forKey: .resolutionDue)
    }

    /// Reads what ``encode(to:)`` writes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func word<T: CaseIterable & CustomStringConvertible>(_ key: CodingKeys, _: T.Type) throws -> T {
            let text = try c.decode(String.self, forKey: key)
            guard let value = T.allCases.first(where: { $0.description == text }) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "unknown value '\(text)'")
            }
            return value
        }
        self.init(
            number: try c.decode(String.self, forKey: .number), priority: try c.decode(Priority.self, forKey: .priority),
            status: try word(.status, TicketStatus.self), line: try word(.line, SupportLine.self),
            group: try c.decodeIfPresent(String.self, forKey: .group), agent: try c.decodeIfPresent(String.self, forKey: .agent),
            title: try c.decode(String.self, forKey: .title), registeredAt: try c.decode(Timestamp.self, forKey: .registeredAt),
            ageSeconds: try c.decode(Int64.self, forKey: .ageSeconds), resolutionDue: try c.decodeIfPresent(Timestamp.self, forKey: .resolutionDue))
    }
}

/// One queue: a line, a group or an agent, with its tickets in working order.
public struct Queue: Sendable, Hashable, Codable {
    /// The line, group or agent.
    public var key: String
    /// Open tickets in it.
    public var count: Int
    /// The oldest ticket's age in seconds.
    public var oldestAgeSeconds: Int64
    /// Ordered by priority, then resolution due time (none last), then age.
    public var tickets: [QueueEntry]
}

/// The queues as of a moment.
public struct QueueReport: Sendable, Hashable, Codable {
    /// The moment the queues are aged at.
    public var asOf: Timestamp
    /// Open tickets in all queues.
    public var open: Int
    /// One queue per support line.
    public var byLine: [Queue]
    /// One queue per group.
    public var byGroup: [Queue]
    /// One queue per agent.
    public var byAgent: [Queue]
    /// Open tickets no group holds yet.
    public var unassigned: Queue
}

/// The KPIs over the window, in total and per group.
public struct MetricsReport: Sendable, Hashable, Codable {
    /// Inflow and outflow of one period.
    public struct PeriodFlow: Sendable, Hashable, Codable {
        /// The period's first moment.
        public var start: Timestamp
        /// Registrations and reopenings.
        public var inflow: Int
        /// Resolutions, cancellations and merges.
        public var outflow: Int
    }

    /// The window's start (`nil`: the first event).
    public var from: Timestamp?
    /// The window's end: the as-of moment.
    public var to: Timestamp
    /// The grouping, if any.
    public var groupBy: Grouping?
    /// The KPIs of every ticket.
    public var total: KPIValues
    /// The KPIs per group, by key.
    public var groups: [KPIValues]
    /// The period of the flows.
    public var period: Period
    /// Inflow and outflow per period.
    public var flows: [PeriodFlow]
    /// What the reader must know before using the figures: a KPI the data cannot
    /// support (and is `null` for that reason), tickets opened without a
    /// registration, repeated registrations. Empty when there is nothing to say.
    public var notes: [String]
}

/// One ticket's SLA as of a moment.
public struct TicketSLA: Sendable, Hashable, Codable {
    /// Where an SLA clock stands.
    public enum State: String, Sendable, Hashable, Codable {
        case running, warning, met, breached, paused
    }

    /// One target (response or resolution).
    public struct Clock: Sendable, Hashable, Codable {
        /// Running, warning, paused, met or breached.
        public var state: State
        /// The target in business seconds.
        public var targetSeconds: Int64
        /// The due time, moved later by suspensions.
        public var due: Timestamp
        /// Business seconds of the target consumed so far (or when decided).
        public var consumedSeconds: Int64
        /// When it was met, or when it was breached.
        public var decidedAt: Timestamp?
    }

    /// The ticket number.
    public var number: String
    /// Its priority.
    public var priority: Priority
    /// The business calendar the targets are measured on.
    public var calendar: String
    /// The response target, if the SLA has one.
    public var response: Clock?
    /// The resolution target, if the SLA has one.
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
            // Priority 1 first; a ticket that states none (0) after every stated one.
            if a.priority != b.priority { return a.priority &- 1 < b.priority &- 1 }
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
            total: KPIValues(key: nil, aggregate: state.total, backlog: backlog, bands: bands, handovers: state.handoverEvents > 0),
            groups: keys.map { key in
                let (count, ages) = groupBacklog[key] ?? (0, AgeBands())
                return KPIValues(
                    key: key, aggregate: state.groups[key] ?? KPIAggregate(), backlog: count, bands: ages, handovers: state.handoverEvents > 0)
            },
            period: options.period,
            flows: state.flows.keys.sorted().map { index in
                MetricsReport.PeriodFlow(start: Self.periodStart(index, options.period), inflow: state.flows[index]!.inflow, outflow: state.flows[index]!.outflow)
            },
            notes: state.notes)
    }

    /// The caveats of ``MetricsReport/notes``, from the totals.
    var notes: [String] {
        let t = total
        var notes: [String] = []
        if t.openedWithoutRegistration > 0 {
            notes.append("\(t.openedWithoutRegistration) of \(t.registered) tickets begin without a registration: they open at their first event")
        }
        if t.repeatedRegistrations > 0 {
            notes.append("\(t.repeatedRegistrations) registrations of tickets that already existed were applied as updates, without restarting their clocks")
        }
        if t.impliedReopenings > 0 {
            notes.append("\(t.impliedReopenings) of \(t.reopened) reopenings have no reopen event: a resolved or closed ticket was worked on or resolved again")
        }
        if t.priorityNotStated > 0 {
            notes.append("\(t.priorityNotStated) of \(t.registered) tickets state no priority: grouped by priority they are (none)")
        }
        if handoverEvents == 0, t.firstResolutions > 0 {
            notes.append("the log records no assignment or escalation: first-contact and first-line resolution, escalation, reassignment and ping-pong cannot be judged (null)")
        }
        if t.registered > 0, t.responseMet + t.responseBreached + t.resolutionMet + t.resolutionBreached == 0, t.recordedSLAMet + t.recordedSLAMissed == 0 {
            notes.append("no ticket has an SLA attached: SLA compliance cannot be computed (null)")
        }
        return notes
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

extension QueueReport {
    /// The report with its tickets' sealed titles revealed (`PersonalData`);
    /// unchanged without `personalData`.
    public func revealed(by personalData: PersonalData?) -> QueueReport {
        guard let personalData else { return self }
        func reveal(_ queue: Queue) -> Queue {
            var queue = queue
            for index in queue.tickets.indices { queue.tickets[index].title = personalData.reveal(queue.tickets[index].title) }
            return queue
        }
        var report = self
        report.byLine = byLine.map(reveal)
        report.byGroup = byGroup.map(reveal)
        report.byAgent = byAgent.map(reveal)
        report.unassigned = reveal(unassigned)
        return report
    }
}

extension ProblemAreaReport {
    /// The report with the callers of its repeat callers (`caller / category`)
    /// revealed (`PersonalData`); unchanged without `personalData`.
    public func revealed(by personalData: PersonalData?) -> ProblemAreaReport {
        guard let personalData else { return self }
        var report = self
        for index in report.repeatCallers.indices {
            let key = report.repeatCallers[index].key
            guard let separator = key.range(of: ProblemAreaReport.Repeat.separator) else { continue }
            report.repeatCallers[index].key = personalData.reveal(String(key[..<separator.lowerBound])) + key[separator.lowerBound...]
        }
        report.repeatCallers.sort(by: ProblemAreaReport.Repeat.precedes)
        return report
    }
}
